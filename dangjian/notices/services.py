"""Sending notices in bulk and marking them read."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from dangjian.notices.models import Notice, NoticeRead


def addressed_scopes() -> list[tuple[int, str, str]]:
    """(id, path, type) of every organization that is some active account's scope: only
    they have someone to read a notice."""
    from dangjian.orgs.models import Organization

    scope_ids = (
        get_user_model()
        .objects.filter(is_active=True, scope__isnull=False)
        .values("scope_id")
        .distinct()
    )
    return list(Organization.objects.filter(id__in=scope_ids).values_list("id", "path", "org_type"))


def send(notices: list[Notice]) -> int:
    """Write notices in bulk."""
    now = timezone.now()
    for notice in notices:
        notice.created_at = now
    Notice.objects.bulk_create(notices, batch_size=2000)
    return len(notices)


def mark_read(user, notice_ids: list[int]) -> None:
    now = timezone.now()
    visible = Notice.objects.for_user(user).filter(id__in=notice_ids).values_list("id", flat=True)
    NoticeRead.objects.bulk_create(
        [NoticeRead(notice_id=i, user=user, read_at=now) for i in visible],
        ignore_conflicts=True,
    )
