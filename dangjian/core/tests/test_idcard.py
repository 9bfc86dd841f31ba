"""GB 11643 ID numbers: properties over generated numbers (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core.idcard import (
    FEMALE,
    MALE,
    IdCardError,
    make_id_number,
    mask_id_number,
    parse_id_number,
)

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2008, 12, 31))
genders = st.sampled_from([MALE, FEMALE])
regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)


@given(regions, births, st.integers(0, 999), genders)
def test_made_numbers_parse_back(region, birth, seq, gender):
    card = parse_id_number(make_id_number(region, birth, seq, gender))
    assert card.birth_date == birth and card.gender == gender


@given(regions, births, st.integers(0, 999), genders, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_caught(region, birth, seq, gender, position, delta):
    number = make_id_number(region, birth, seq, gender)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    if changed[0] == "0":
        changed = "9" + changed[1:]
    if changed == number:
        return
    with pytest.raises(IdCardError):
        card = parse_id_number(changed)
        # A changed date digit may still make a valid date; the check digit must catch it.
        assert card.number == number


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "不能为空"),
        ("53232919800101001", "18位"),
        ("5323291980010100AX", "格式"),
        ("532329198002300012", "不是真实日期"),
        ("532329198001010010", "校验位"),
        # digits of another script (Arabic-Indic ١٩٨٠) are not the digits 0-9 of an ID number
        ("532329١٩٨٠01010012", "格式"),
    ],
)
def test_bad_numbers_are_explained(raw, reason):
    with pytest.raises(IdCardError, match=reason):
        parse_id_number(raw)


def test_lower_case_x_is_accepted_and_masking_hides_the_middle():
    number = make_id_number("110101", dt.date(1990, 5, 6), 0, MALE)
    candidates = [make_id_number("110101", dt.date(1990, 5, 6), s, MALE) for s in range(1, 40, 2)]
    with_x = next((n for n in [number, *candidates] if n.endswith("X")), None)
    assert with_x is not None
    assert parse_id_number(with_x.lower()).number == with_x
    assert mask_id_number(with_x) == with_x[:6] + "*" * 8 + with_x[-4:]


def test_full_width_digits_and_spaces_are_read_as_typed_by_an_input_method():
    number = make_id_number("110101", dt.date(1990, 5, 6), 3, MALE)
    full_width = "　" + number[:6] + " " + number[6:].translate(_FULL_WIDTH) + "　"
    assert parse_id_number(full_width).number == number


_FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}
