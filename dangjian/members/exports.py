"""C1: the member list as an Excel file (党员名册): the members the list's filters select, in the
党员 sheet's columns (SPEC §5), so that a role that reads ID numbers in full gets a file it can
import again; other roles get them masked. Every export is in the audit log."""

from __future__ import annotations

from django.db import transaction

from dangjian.accounts import audit
from dangjian.core.errors import BusinessError
from dangjian.core.excel import xlsx_bytes
from dangjian.core.idcard import mask_id_number, whole_id_number
from dangjian.core.snapshot import read_snapshot
from dangjian.members.models import MemberPost
from dangjian.members.selectors import TYPE_CHOICES, MemberFilters, list_members
from dangjian.members.sheet import COLUMNS, SHEET, member_rows

# Data rows one Excel worksheet holds (1,048,576 rows, the header included).
EXCEL_ROWS_MAX = 1_048_575


def filters_in_words(filters: MemberFilters) -> dict[str, str]:
    """The filters that were set, as the audit log shows them (an ID number masked)."""
    q = filters.q
    if q and (number := whole_id_number(q)):
        q = mask_id_number(number)
    named = {
        "姓名或身份证号": q,
        "所在支部": filters.branch,
        "含下级组织": filters.subtree,
        "党员类型": dict(TYPE_CHOICES).get(filters.member_type, ""),
        "党内职务": filters.post,
    }
    return {label: value for label, value in named.items() if value}


def member_workbook(user, filters: MemberFilters, reveal_pii: bool) -> tuple[bytes, int]:
    """The .xlsx of the members `filters` select in `user`'s scope, and how many there are."""
    listing = list_members(user, filters)
    total = listing.known_count
    if total is None:
        total = listing.members.order_by().count()
    if total > EXCEL_ROWS_MAX:
        raise BusinessError(
            f"共 {total} 名党员，超过 Excel 一个工作表的行数上限，"
            "请缩小筛选范围，或在命令行用 export_workbook 导出"
        )
    members = listing.members
    posts = MemberPost.objects.filter(member__in=members.order_by().values("pk"))
    with read_snapshot():  # members and their posts from one state, writers not held back
        rows = list(member_rows(members, posts, reveal_pii))
    if rows:  # an empty file carries no one's data: nothing to account for
        with transaction.atomic():
            _audit_export(user, filters, len(rows), reveal_pii)
    return xlsx_bytes({SHEET: (COLUMNS, rows)}), len(rows)


def _audit_export(user, filters: MemberFilters, count: int, reveal_pii: bool) -> None:
    after = {
        "筛选条件": filters_in_words(filters) or "全部",
        "党员数": count,
        "含完整个人信息": reveal_pii,
    }
    audit.record_export(user, "党员名册", user.scope_path or "", after)
