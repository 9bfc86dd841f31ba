"""C1 rules about one organization's own fields, shared by forms, the API and the import."""

from __future__ import annotations

import re

from dangjian.core.cells import as_choice, as_count, as_text
from dangjian.core.errors import BusinessError
from dangjian.orgs.choices import OrgType

_CODE = re.compile(r"^[0-9A-Za-z_\-.]{1,32}$")
ORG_TYPES = tuple(OrgType.values)


def clean_code(value: object) -> str:
    """组织编码: 1–32 letters, digits, '-', '_' or '.'."""
    code = as_text(value, "组织编码", max_length=32)
    if not _CODE.match(code):
        raise BusinessError("组织编码只能包含字母、数字、“-”“_”“.”", "code")
    return code


def clean_name(value: object) -> str:
    """组织名称: required, at most 100 characters."""
    return as_text(value, "组织名称", max_length=100)


def clean_org_type(value: object) -> str:
    """组织类型: one of the SPEC's seven types."""
    return as_choice(value, "组织类型", ORG_TYPES)


def clean_staff(staff: object, party_staff: object) -> tuple[int, int]:
    """工作人员数 and 专职党务人员数: non-negative, and party staff cannot exceed staff."""
    staff_count = as_count(staff, "工作人员数")
    party_count = as_count(party_staff, "专职党务人员数")
    if party_count > staff_count:
        raise BusinessError(
            f"专职党务人员数（{party_count}）不能大于工作人员数（{staff_count}）",
            "party_staff_count",
        )
    return staff_count, party_count
