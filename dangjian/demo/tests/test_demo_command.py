"""`manage.py demo` on a fresh database, as the README's first command runs it: the county is
loaded and evaluated, the demo accounts find today's reminders in their 通知 inbox, and the
audit log it leaves reads in Chinese."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from dangjian.accounts.models import AuditEntry, User
from dangjian.notices.models import Notice
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_a_fresh_demo_sends_its_accounts_their_reminders():
    out = io.StringIO()
    call_command("demo", size="county", seed=1, stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert Organization.objects.count() > 600
    sent = int(re.search(r"已发送提醒与通报 (\d+) 条", text)[1])
    assert sent > 0
    scopes = set(User.objects.values_list("scope_id", flat=True))
    assert Notice.objects.count() == sent
    assert set(Notice.objects.values_list("organization_id", flat=True)) <= scopes
    assert "用户名 admin" in text and "通报归档：" in text
    fields = set()
    for before, after in AuditEntry.objects.values_list("before", "after").iterator():
        fields.update(before or {}, after or {})
    assert fields and not {f for f in fields if f.isascii()}, "fields named in English"
