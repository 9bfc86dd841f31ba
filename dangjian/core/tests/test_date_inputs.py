"""Every date field of every form fills its date picker: the value is written YYYY-MM-DD
whatever the language's formats (a date picker shows 1998/01/26 as empty)."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil

from django import forms
from django.utils import translation

import dangjian

DAY = dt.date(1998, 1, 26)


def _date_fields():
    for info in pkgutil.walk_packages(dangjian.__path__, "dangjian."):
        if not info.name.endswith(".forms"):
            continue
        module = importlib.import_module(info.name)
        for name, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, forms.BaseForm) and form.__module__ == module.__name__:
                for field_name, field in form.base_fields.items():
                    if isinstance(field, forms.DateField):
                        yield f"{info.name}.{name}.{field_name}", field


def test_every_date_picker_shows_the_date_it_holds():
    fields = dict(_date_fields())
    assert len(fields) >= 6  # members, orgs, ledger, rating, rectification
    with translation.override("zh-hans"):
        wrong = {
            where: html
            for where, field in fields.items()
            if 'type="date"' in (html := field.widget.render("d", DAY))
            and 'value="1998-01-26"' not in html
        }
    assert not wrong
