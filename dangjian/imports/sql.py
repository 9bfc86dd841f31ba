"""Raw SQL of the import pages: a run's first issues, read from its JSON in the database.

A rejected city's file may hold hundreds of thousands of issues and the run page shows a few
hundred: loading the whole list took 0.6 s, these rows 0.1 s."""

from __future__ import annotations

import json

from django.db import connection


def first_issues(run, limit: int) -> list[list]:
    """The first `limit` issues of `run` (an ImportRun), in the order they were found."""
    table = connection.ops.quote_name(run._meta.db_table)
    if connection.vendor == "postgresql":
        elements = "jsonb_array_elements(issues) WITH ORDINALITY AS e(value, n)"
        value, position = "e.value::text", "e.n"
    else:
        elements = f"json_each({table}.issues) AS e"
        value, position = "e.value", "e.key"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {value} FROM {table}, {elements} "
            f"WHERE {table}.id = %s ORDER BY {position} LIMIT %s",
            [run.pk, limit],
        )
        return [json.loads(text) for (text,) in cursor.fetchall()]
