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


# The formal names of the types (党章: 党的基层委员会、总支部委员会、支部委员会), as other systems
# export them, are those types.
_ORG_TYPE_NAMES = {
    "党的委员会": OrgType.COMMITTEE,
    "党的基层委员会": OrgType.COMMITTEE,
    "党委员会": OrgType.COMMITTEE,
    "党工作委员会": OrgType.WORKING_COMMITTEE,
    "机关党的委员会": OrgType.ORGAN_COMMITTEE,
    "机关党委员会": OrgType.ORGAN_COMMITTEE,
    "党总支部": OrgType.GENERAL_BRANCH,
    "党总支部委员会": OrgType.GENERAL_BRANCH,
    "党支部委员会": OrgType.BRANCH,
    "临时党支部委员会": OrgType.TEMPORARY_BRANCH,
}


def clean_org_type(value: object) -> str:
    """组织类型: one of the SPEC's seven types, or the formal name of one (党总支部委员会)."""
    if isinstance(value, str) and (named := _ORG_TYPE_NAMES.get(value.strip())):
        return str(named)
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
