"""Foreign keys of derived rows: results and facts that an engine or the ledger rewrites in
bulk from rows it has just joined.

They have no database-level constraint, whose checks at commit would cost as much as
computing the rows; deleting the organization or member still cascades through Django.
"""

from __future__ import annotations

from django.db import models


def derived_key(to: str, *, indexed: bool = True) -> models.ForeignKey:
    """A cascading key without a database constraint; `indexed=False` where a composite
    index (year, key) already serves the look-ups."""
    return models.ForeignKey(
        to, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=indexed
    )
