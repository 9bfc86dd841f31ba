"""The roles of SPEC §1 and what each may do. Permissions are data, checked in one place."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """A signed-in user's role; the public (群众) never signs in."""

    ADMIN = "admin", "平台管理员/组织部"
    COMMITTEE = "committee", "党(工)委管理员"
    SECRETARY = "secretary", "支部书记/党务干部"
    MEMBER = "member", "党员"
    RATER = "rater", "评议人"
    LEADER = "leader", "领导"


class Perm(models.TextChoices):
    """Actions that differ between roles; reading inside one's scope is open to every role."""

    EDIT_ORGS = "edit_orgs", "管理组织"
    MANAGE_CATEGORIES = "manage_categories", "管理组织类别"
    EDIT_MEMBERS = "edit_members", "管理党员"
    REVEAL_PII = "reveal_pii", "查看完整身份证号和手机号"
    IMPORT = "import", "导入数据"
    EXPORT = "export", "导出数据"
    VIEW_AUDIT = "view_audit", "查看审计日志"
    MANAGE_USERS = "manage_users", "管理用户"
    RECORD_LEDGER = "record_ledger", "登记组织生活和党费"
    MANAGE_RULES = "manage_rules", "管理达标规则和关账"
    GRANT_EXEMPTION = "grant_exemption", "登记达标豁免"
    RUN_EVALUATION = "run_evaluation", "重新计算评价结果"
    RECORD_ASSESSMENT = "record_assessment", "登记考核得分、约谈和述职评议"
    MANAGE_RATING = "manage_rating", "管理评议对象，转办、督办和办结群众诉求"
    HANDLE_CASES = "handle_cases", "跟踪办理和答复群众诉求"
    PUBLISH_BULLETINS = "publish_bulletins", "生成通报和成绩单"


ROLE_PERMS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Perm.values),
    Role.COMMITTEE: frozenset(
        {
            Perm.EDIT_ORGS,
            Perm.EDIT_MEMBERS,
            Perm.REVEAL_PII,
            Perm.IMPORT,
            Perm.EXPORT,
            Perm.VIEW_AUDIT,
            Perm.RECORD_LEDGER,
            Perm.GRANT_EXEMPTION,
            Perm.RUN_EVALUATION,
            Perm.RECORD_ASSESSMENT,
            Perm.MANAGE_RATING,
            Perm.HANDLE_CASES,
            Perm.PUBLISH_BULLETINS,
        }
    ),
    Role.SECRETARY: frozenset(
        {Perm.EDIT_MEMBERS, Perm.EXPORT, Perm.RECORD_LEDGER, Perm.HANDLE_CASES}
    ),
    Role.MEMBER: frozenset(),
    Role.RATER: frozenset(),
    Role.LEADER: frozenset({Perm.EXPORT}),
}


def role_allows(role: str, perm: str) -> bool:
    """True when `role` grants `perm`."""
    return perm in ROLE_PERMS.get(role, frozenset())
