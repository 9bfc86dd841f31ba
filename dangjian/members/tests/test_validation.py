"""党内职务 and 手机号 as officers type them into a workbook."""

from __future__ import annotations

import pytest

from dangjian.core.errors import BusinessError
from dangjian.members.validation import clean_phone, clean_posts


@pytest.mark.parametrize(
    ("typed", "posts"),
    [
        ("", ()),
        ("无", ()),
        ("书记", ("书记",)),
        ("支部书记", ("书记",)),
        ("党支部副书记、纪律检查委员", ("副书记", "纪检委员")),
        ("组织委员兼纪检委员", ("组织委员", "纪检委员")),
        ("宣传委员，书记", ("书记", "宣传委员")),
        ("党委委员", ("委员",)),
        ("党小组组长", ("党小组长",)),
        ("书记、支部书记", ("书记",)),
        ("支委", ("委员",)),
        ("总支委员、党总支支委", ("委员",)),
        ("宣传委员兼支委", ("宣传委员", "委员")),
    ],
)
def test_posts_named_with_their_organization_or_full_title_are_the_posts(typed, posts):
    assert clean_posts(typed) == posts


def test_an_unknown_post_is_named_with_the_known_ones():
    with pytest.raises(BusinessError, match="未知的党内职务 “支部主任”，应为：书记、副书记"):
        clean_posts("书记、支部主任")


@pytest.mark.parametrize(
    "typed",
    ["13912345678", "139 1234 5678", "+86-139-1234-5678", "１３９１２３４５６７８", 13912345678.0],
)
def test_phones_as_typed(typed):
    assert clean_phone(typed) == "13912345678"


@pytest.mark.parametrize("typed", ["1391234567", "13٩١٢٣٤٥٦٧٨"])  # short; another script's digits
def test_a_phone_that_is_not_11_digits_0_to_9_is_refused(typed):
    with pytest.raises(BusinessError, match="不是有效的11位大陆手机号"):
        clean_phone(typed)
