"""组织类型 as workbooks from other systems write it: the formal names of the types are the
types; anything else is refused with the list of types."""

from __future__ import annotations

import pytest

from dangjian.core.errors import BusinessError
from dangjian.orgs.validation import clean_org_type


@pytest.mark.parametrize(
    ("typed", "org_type"),
    [
        ("党委", "党委"),
        (" 党支部 ", "党支部"),
        ("党总支部委员会", "党总支"),
        ("党总支部", "党总支"),
        ("党支部委员会", "党支部"),
        ("党的基层委员会", "党委"),
        ("党工作委员会", "党工委"),
        ("机关党的委员会", "机关党委"),
        ("临时党支部委员会", "临时党支部"),
    ],
)
def test_a_type_or_its_formal_name_is_the_type(typed, org_type):
    assert clean_org_type(typed) == org_type


@pytest.mark.parametrize("typed", ["党小组", "支部", "委员会", "党支部委员"])
def test_anything_else_is_refused_with_the_types(typed):
    with pytest.raises(BusinessError, match=f"未知的组织类型 “{typed}”，应为：党委、党工委"):
        clean_org_type(typed)
