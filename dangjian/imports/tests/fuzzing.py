"""What the import fuzz tests share: their Hypothesis settings and the streamed-against-row-by-
row comparison."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def fuzz_settings(examples: int) -> settings:
    """`examples` files, the same ones on every run (locally and in CI) unless
    DANGJIAN_FUZZ_RANDOM is set; DANGJIAN_FUZZ_EXAMPLES asks for more.

    On PostgreSQL, run a few hundred examples one test file at a time: every import of a
    test runs inside the test's one transaction, where the tables that the read-ahead
    connection staged (and committed) are dropped, so their locks pile up until the test
    ends (500 examples of the three files in one session fill the server's lock table; in
    the product each import is a transaction of its own)."""
    return settings(
        max_examples=int(os.environ.get("DANGJIAN_FUZZ_EXAMPLES", examples)),
        deadline=None,
        derandomize=os.environ.get("DANGJIAN_FUZZ_RANDOM") is None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def assert_same_answer(streamed, rowwise) -> None:
    """The same verdict, the same issues word for word and, when the file went through, the
    same counts of created, updated and unchanged rows per sheet."""
    assert [i.as_list() for i in streamed.issues] == [i.as_list() for i in rowwise.issues]
    assert streamed.ok == rowwise.ok
    if streamed.ok:
        assert {k: vars(r) for k, r in streamed.results.items()} == {
            k: vars(r) for k, r in rowwise.results.items()
        }
