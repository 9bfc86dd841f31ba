"""SQL tests of the plain shape of a staged text cell (string functions, no regex: they run
once per row on tens of millions of rows). A cell in its plain shape means exactly what the
row-by-row rules would make of it; any other cell goes to those rules."""

from __future__ import annotations

from dangjian.core.cells import CONTROL_CHARACTERS, WORD_BREAKS

DIGITS = "'0123456789'"
# every character Python's str.strip() removes, as an SQL literal
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
SPACES = "'" + _SPACES.replace("'", "''") + "'"
# the control characters the row rules refuse or turn into line breaks (a NUL never reaches a
# staged table)
CONTROLS = "'" + CONTROL_CHARACTERS.replace("\x00", "") + WORD_BREAKS + "'"


def digits(col: str, low: int, high: int) -> str:
    """Only ASCII digits, between `low` and `high` of them."""
    return f"(length({col}) BETWEEN {low} AND {high} AND translate({col}, {DIGITS}, '') = '')"


def id_number(col: str) -> str:
    """17 digits and a digit or X."""
    return (
        f"(length({col}) = 18 AND translate(left({col}, 17), {DIGITS}, '') = ''"
        f" AND translate(right({col}, 1), {DIGITS} || 'Xx', '') = '')"
    )


def year_month(col: str) -> str:
    """YYYY-MM with MM in 01..12."""
    return (
        f"(length({col}) = 7 AND substr({col}, 5, 1) = '-'"
        f" AND translate(left({col}, 4) || right({col}, 2), {DIGITS}, '') = ''"
        f" AND right({col}, 2) COLLATE \"C\" BETWEEN '01' AND '12')"
    )


def iso_date(col: str) -> str:
    """YYYY-MM-DD, a real day (guarded so the casts only see digits)."""
    shape = (
        f"length({col}) = 10 AND substr({col}, 5, 1) = '-' AND substr({col}, 8, 1) = '-'"
        f" AND translate(left({col}, 4) || substr({col}, 6, 2) || right({col}, 2), {DIGITS}, '')"
        f" = '' AND substr({col}, 6, 2) COLLATE \"C\" BETWEEN '01' AND '12'"
        f" AND left({col}, 4) COLLATE \"C\" >= '0001' AND right({col}, 2) COLLATE \"C\" >= '01'"
    )
    last_day = (
        f"extract(day from make_date(left({col}, 4)::int, substr({col}, 6, 2)::int, 1)"
        " + interval '1 month - 1 day')"
    )
    return f"(CASE WHEN {shape} THEN right({col}, 2)::int <= {last_day} ELSE false END)"


def amount(col: str) -> str:
    """Yuan: up to 7 digits, optionally a point and one or two digits (no sign, no spaces)."""
    point = f"strpos({col}, '.')"
    return (
        f"(translate({col}, {DIGITS}, '') IN ('', '.') AND length({col}) BETWEEN 1 AND 10"
        f" AND CASE WHEN {point} = 0 THEN length({col}) <= 7"
        f" ELSE {point} BETWEEN 2 AND 8 AND length({col}) - {point} BETWEEN 1 AND 2 END)"
    )


def trimmed_text(col: str, max_length: int) -> str:
    """Non-empty text of at most `max_length` characters that strip() would leave alone,
    without a control character."""
    return (
        f"(CASE WHEN length({col}) BETWEEN 1 AND {max_length}"
        f" THEN strpos({SPACES}, left({col}, 1)) = 0 AND strpos({SPACES}, right({col}, 1)) = 0"
        f" AND length(translate({col}, {CONTROLS}, '')) = length({col})"
        " ELSE false END)"
    )
