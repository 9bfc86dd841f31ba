"""The audit page's 对象 filter offers every kind of object the log records (AUDITED_OBJECTS).

The list is checked against the services themselves: every object type given as a literal
(or a module-level constant) to `audit.Change(…)` or to a module's own `_change(…)` helper
must be in it, so a capability that starts auditing a new kind of object cannot leave it out of
the filter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from conftest import client_for
from dangjian.accounts import audit
from dangjian.accounts.choices import AUDITED_OBJECT_TYPES, AUDITED_OBJECTS

PACKAGE = Path(audit.__file__).resolve().parents[1]
HELPERS = {"Change", "_change", "_user_change", "record_creations"}


def _constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }


def recorded_object_types() -> dict[str, str]:
    """Object type → the first module that records it."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in HELPERS:
                continue
            arg = node.args[1]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                value = arg.value
            elif isinstance(arg, ast.Name) and arg.id in constants:
                value = constants[arg.id]
            else:
                continue
            found.setdefault(value, str(path.relative_to(PACKAGE.parent)))
    return found


def test_every_object_type_the_services_record_is_offered_by_the_filter():
    recorded = recorded_object_types()
    assert {"组织", "党员", "导入", "通报", "群众诉求", "整顿问题"} <= set(recorded)
    unlisted = {kind: where for kind, where in recorded.items() if kind not in AUDITED_OBJECT_TYPES}
    assert unlisted == {}


def test_each_type_is_offered_once():
    types = [t for _group, group_types in AUDITED_OBJECTS for t in group_types]
    assert len(types) == len(set(types))


@pytest.mark.django_db
def test_the_filter_lists_every_group_and_keeps_the_choice(client, officer):
    audit.record(None, [audit.Change(audit.Action.CREATE, "通报", 1, "2026年第1期周通报", "")])
    audit.record(None, [audit.Change(audit.Action.CREATE, "党员", 2, "张三", "")])
    signed_in = client_for(client, officer)
    page = signed_in.get(reverse("audit") + "?type=通报").content.decode()
    for group, _types in AUDITED_OBJECTS:
        assert f'<optgroup label="{group}">' in page
    assert '<option value="通报" selected>' in page
    assert "2026年第1期周通报" in page and "张三" not in page


@pytest.mark.django_db
def test_an_unknown_type_shows_everything_rather_than_nothing(client, officer):
    audit.record(None, [audit.Change(audit.Action.CREATE, "党员", 2, "张三", "")])
    page = client_for(client, officer).get(reverse("audit") + "?type=不存在的").content.decode()
    assert "张三" in page and "selected" not in page.split('name="type"')[1].split("</select>")[0]
