"""The bulletins' ranking rules: exact rates, competition ranks that never split a tie, and
rank changes."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from dangjian.compliance.models import MonthRate
from dangjian.reports.ranking import change_label, competition_ranks, exact_rate


def test_equal_rates_tie_exactly():
    assert exact_rate(MonthRate(3, 1)) == exact_rate(MonthRate(6, 2))
    assert exact_rate(MonthRate(0, 0)) is None and exact_rate(None) is None


def test_competition_ranks_share_and_skip():
    ranks = competition_ranks({"a": 0.9, "b": 1.0, "c": 0.9, "d": 0.5, "e": None})
    assert ranks == {"b": 1, "a": 2, "c": 2, "d": 4}


def test_change_labels():
    assert change_label(5, 2) == "↑3"
    assert change_label(1, 4) == "↓3"
    assert change_label(2, 2) == "持平"
    assert change_label(None, 2) == "新"
    assert change_label(3, None) == "—"


rates = st.dictionaries(
    st.text(min_size=1, max_size=3),
    st.one_of(st.none(), st.fractions(min_value=0, max_value=1, max_denominator=12)),
    max_size=12,
)


@given(rates, st.randoms())
def test_ranks_do_not_depend_on_order(values, random):
    items = list(values.items())
    random.shuffle(items)
    assert competition_ranks(dict(items)) == competition_ranks(values)


@given(rates)
def test_ranks_follow_values_and_ties_share(values):
    ranks = competition_ranks(values)
    assert set(ranks) == {k for k, v in values.items() if v is not None}
    for a in ranks:
        for b in ranks:
            va, vb = Fraction(values[a]), Fraction(values[b])
            if va > vb:
                assert ranks[a] < ranks[b]
            elif va == vb:
                assert ranks[a] == ranks[b]
    # a rank counts the values strictly better plus one
    for key, rank in ranks.items():
        assert rank == 1 + sum(1 for v in values.values() if v is not None and v > values[key])
