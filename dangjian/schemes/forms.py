"""Reading the scheme pages' POSTed fields into service inputs, and the cards of a score form
(one per item: a heading, an input, or a computed item shown for information)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dangjian.schemes.choices import Method, RaterKind, Source
from dangjian.schemes.models import ItemScore
from dangjian.schemes.scoring import fmt
from dangjian.schemes.selectors import ItemRow
from dangjian.schemes.services import ItemInput, RatingEntry, SchemeInput, ScoreEntry

NEW_RATER_ROWS = 3


def scheme_input(post) -> SchemeInput:
    """The scheme form's fields."""
    return SchemeInput(
        year=post.get("year", ""),
        name=post.get("name", ""),
        categories=post.getlist("categories"),
        satisfaction_max=post.get("satisfaction_max", ""),
        note=post.get("note", ""),
    )


def weights_input(post) -> dict:
    """The weights form's fields by rater group."""
    return {kind: post.get(f"weight_{kind}", "") for kind in RaterKind.values}


def item_input(post) -> ItemInput:
    """The item form's fields."""
    return ItemInput(
        title=post.get("title", ""),
        max_points=post.get("max_points", ""),
        method=post.get("method", ""),
        sources=post.getlist("sources"),
        parent=post.get("parent") or None,
        sort_order=post.get("sort_order") or None,
        criteria=post.get("criteria", ""),
    )


@dataclass
class Card:
    """One item on a score form."""

    row: ItemRow
    kind: str  # "heading", "input", "computed", "readonly"
    value: str = ""
    note: str = ""
    error: str = ""
    others: list[tuple[str, str]] = field(default_factory=list)

    @property
    def item(self):
        return self.row.item


def score_cards(
    rows: list[ItemRow],
    saved: dict[int, dict[str, ItemScore]],
    source: str,
    *,
    typed=None,
    problems: dict[int, str] | None = None,
    editable: bool = True,
) -> list[Card]:
    """Cards for every item: parents as headings, the leaves this source scores as inputs
    (showing what was typed, else what is saved, and the other sources' scores for
    reference), compliance items as computed."""
    cards = []
    for row in rows:
        item = row.item
        if not row.is_leaf:
            cards.append(Card(row, "heading"))
            continue
        if item.method == Method.COMPLIANCE:
            cards.append(Card(row, "computed"))
            continue
        if source not in item.sources:
            continue
        mine = saved.get(item.pk, {}).get(source)
        value = fmt(mine.score) if mine else ""
        note = mine.note if mine else ""
        if typed is not None:
            value = typed.get(f"score_{item.pk}", "")
            note = typed.get(f"note_{item.pk}", "")
        others = [
            (Source(s).label, fmt(saved[item.pk][s].score))
            for s in Source.values
            if s != source and s in saved.get(item.pk, {})
        ]
        error = (problems or {}).get(item.pk, "")
        cards.append(Card(row, "input" if editable else "readonly", value, note, error, others))
    return _drop_empty_headings(cards)


def _drop_empty_headings(cards: list[Card]) -> list[Card]:
    """A heading whose items this source does not score is left out."""
    kept = []
    for index, card in enumerate(cards):
        if card.kind == "heading":
            below = []
            for later in cards[index + 1 :]:
                if later.row.depth <= card.row.depth:
                    break
                below.append(later)
            if not any(c.kind != "heading" for c in below):
                continue
        kept.append(card)
    return kept


def score_entries(post, cards: list[Card]) -> list[ScoreEntry]:
    """The typed score and note of every input card (blank scores included)."""
    return [
        ScoreEntry(c.item.pk, post.get(f"score_{c.item.pk}", ""), post.get(f"note_{c.item.pk}", ""))
        for c in cards
        if c.kind == "input"
    ]


def rating_entries(post) -> list[RatingEntry]:
    """Raters already scored (rater_<n> / score_<n>) and the blank rows for new ones."""
    count = min(int(post.get("rows", "0") or 0) if str(post.get("rows", "0")).isdigit() else 0, 500)
    return [
        RatingEntry(post.get(f"rater_{n}", ""), post.get(f"score_{n}", "")) for n in range(count)
    ]


@dataclass
class RatingRow:
    """A row of a rater group's form: an existing rater (name fixed) or a blank one."""

    index: int
    rater: str
    value: str
    existing: bool
    number: int = 0  # 1, 2, 3 among the blank rows (for their labels)


def rating_rows(ratings) -> list[RatingRow]:
    """Rows for the raters who scored and the blank rows for new ones."""
    rows = [RatingRow(n, r.rater, fmt(r.score), True) for n, r in enumerate(ratings)]
    start = len(rows)
    rows += [RatingRow(start + n, "", "", False, n + 1) for n in range(NEW_RATER_ROWS)]
    return rows


def typed_rating_rows(rows: list[RatingRow], post) -> list[RatingRow]:
    """The same rows showing what was typed (existing raters keep their names)."""
    return [
        RatingRow(
            r.index,
            r.rater if r.existing else post.get(f"rater_{r.index}", ""),
            post.get(f"score_{r.index}", ""),
            r.existing,
            r.number,
        )
        for r in rows
    ]
