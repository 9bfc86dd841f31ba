"""Who may do what in C5: which users may assess an organization (spot checks, year-end
scores, satisfaction, self-check reviews: a superior, never the organization itself, 评下不评己)
and who fills in its self-check, as yes/no questions for pages and as checks that refuse with
the reason."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from dangjian.accounts.roles import Perm
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization
from dangjian.schemes.choices import Source

# --- who may do what ------------------------------------------------------------------------


def is_superior(user, org: Organization) -> bool:
    """True when `org` lies strictly below the user's scope (评下不评己)."""
    path = getattr(user, "scope_path", None)
    return bool(path) and org.path.startswith(path) and org.pk != user.scope_id


def may_assess(user, org: Organization) -> bool:
    """Spot checks, year-end scores, satisfaction and self-check reviews: a superior whose
    role records assessments. None is the command line."""
    return user is None or (user.can(Perm.RECORD_ASSESSMENT) and is_superior(user, org))


def may_self_check(user, org: Organization) -> bool:
    """The self-check is filled in by the organization itself: its secretary or party-affairs
    staff (whose scope is the organization)."""
    if user is None:
        return True
    return user.scope_id == org.pk and (
        user.can(Perm.RECORD_LEDGER) or user.can(Perm.RECORD_ASSESSMENT)
    )


def check_may_assess(actor, org: Organization) -> None:
    """Refuse unless `actor` may assess `org` (see `may_assess`), with the reason."""
    if actor is None:
        return
    if not actor.can(Perm.RECORD_ASSESSMENT):
        raise PermissionDenied("当前角色无权登记考核评分")
    if actor.scope_id == org.pk:
        raise BusinessError(
            "不能给本级组织评分或审核（评下不评己），应由上级组织进行", "organization"
        )
    if not is_superior(actor, org):
        raise BusinessError("该组织不在管辖范围内", "organization")


def check_may_enter(actor, org: Organization, source: str) -> None:
    """单位自查 by the organization itself; 平时抽查 and 年终考评 by a superior."""
    if source != Source.SELF:
        check_may_assess(actor, org)
        return
    if actor is None:
        return
    if actor.scope_id != org.pk:
        raise BusinessError("单位自查由本组织填报；上级组织可在审核时退回修改", "source")
    if not may_self_check(actor, org):
        raise PermissionDenied("当前角色无权填报单位自查")
