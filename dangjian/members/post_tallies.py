"""Post holders per organization and per subtree (C1 rollups): the member list filtered by a
post (书记, 组织委员 …) reads its total from one `PostTally` row instead of counting posts.

Every writer of posts already calls `members.rollups.refresh_member_counts` for the
organizations it touched, after writing them: a few organizations are shifted
(`shift_post_tallies`: their own counts set to the posts table's, the difference carried up to
every ancestor); an import recomputes the nearest subtree holding all it touched and carries
that subtree's change up (`refresh_post_tallies`); a move of an organization, which changes
whose subtree its posts belong to, recomputes everything.
`post_tallies_drift()` proves the tallies equal the posts table.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, F, Max

from dangjian.members.models import MemberPost, PostTally
from dangjian.orgs.models import Organization, path_chain

STEP = Organization.steplen
IN_BATCH = 900  # ids per IN (…): SQLite takes at most 999 parameters

Key = tuple[int, str]  # (organization id, post)


EXPECTED_TABLE = "members_posttally_expected"


def expected_query(
    root_path: str = "", org_model=Organization, post_model=MemberPost
) -> tuple[str, list]:
    """SELECT organization_id, post, own, subtree: the tallies of the organizations under
    `root_path` (all when empty) computed from the posts table, non-zero ones only.

    Set-based: posts are counted per (organization, post), then each count is added to the
    organization itself and to every ancestor up to the subtree's root, which are the path's
    prefixes (one join per level, on the unique path). The models are parameters so the
    migration that fills the table can pass its own."""
    orgs, posts = org_model._meta.db_table, post_model._meta.db_table
    first = max(1, len(root_path) // STEP)
    deepest = org_model.objects.aggregate(d=Max("depth"))["d"] or first
    levels = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(first, deepest + 1))
    sql = f"""
        SELECT a.id AS organization_id, h.post AS post,
            SUM(CASE WHEN h.depth = l.k THEN h.n ELSE 0 END) AS own, SUM(h.n) AS subtree
        FROM (SELECT o.path AS path, o.depth AS depth, c.post AS post, c.n AS n
              FROM (SELECT organization_id, post, COUNT(*) AS n FROM {posts}
                    GROUP BY organization_id, post) c
              JOIN {orgs} o ON o.id = c.organization_id
              WHERE o.path LIKE %s) h
        JOIN ({levels}) l ON l.k <= h.depth
        JOIN {orgs} a ON a.path = SUBSTR(h.path, 1, l.k * {STEP})
        GROUP BY a.id, h.post"""
    return sql, [f"{root_path}%"]


def fill_post_tallies(org_model, post_model, tally_model) -> int:
    """Write every tally into an empty table (the migration that made it); returns how many."""
    select, params = expected_query("", org_model, post_model)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {tally_model._meta.db_table} (organization_id, post, own, subtree)
            SELECT organization_id, post, own, subtree FROM ({select}) e""",
            params,
        )
        return cursor.rowcount


def _common_path(org_ids: Iterable[int]) -> str | None:
    """The path of the nearest organization whose subtree holds all of these (None for none):
    the common prefix, in whole steps, of the smallest and the largest of their paths. (The
    paths are read by primary key and compared here: MIN/MAX over a batch of ids, which
    PostgreSQL may answer by walking the path index, took 5.6 s for a province's 120,000.)"""
    ids, first, last = sorted(set(org_ids)), None, None
    for start in range(0, len(ids), IN_BATCH):
        batch = Organization.objects.filter(pk__in=ids[start : start + IN_BATCH])
        for path in batch.values_list("path", flat=True):
            first = path if first is None or path < first else first
            last = path if last is None or path > last else last
    if first is None:
        return None
    shared = [prefix for prefix in path_chain(first) if last.startswith(prefix)]
    return shared[-1] if shared else ""


def _root_counts(root_id: int, table: str | None = None) -> dict[str, int]:
    """Subtree counts by post of the subtree's root, stored (or in the expected table)."""
    if table is None:
        rows = PostTally.objects.filter(organization_id=root_id).values_list("post", "subtree")
        return dict(rows)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT post, subtree FROM {table} WHERE organization_id = %s", [root_id])
        return dict(cursor.fetchall())


def refresh_post_tallies(org_ids: Iterable[int] | None = None) -> int:
    """Recompute the tallies of the nearest subtree holding all of `org_ids` (everything when
    None) in SQL, write only the rows that differ, and carry the subtree root's change up to
    its ancestors. Returns how many rows of the subtree changed."""
    root_path = "" if org_ids is None else _common_path(org_ids)
    if root_path is None:
        return 0
    if len(root_path) <= STEP:  # the jurisdiction's root: everything, with no ancestor
        root_path = ""
    root_id = None
    if root_path:
        root_id = Organization.objects.values_list("id", flat=True).get(path=root_path)
        before = _root_counts(root_id)
    tally, orgs = PostTally._meta.db_table, Organization._meta.db_table
    select, params = expected_query(root_path)
    key = f"e.organization_id = {tally}.organization_id AND e.post = {tally}.post"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {EXPECTED_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {EXPECTED_TABLE} AS {select}", params)
        cursor.execute(
            f"CREATE INDEX {EXPECTED_TABLE}_key ON {EXPECTED_TABLE} (organization_id, post)"
        )
        cursor.execute(
            f"""DELETE FROM {tally} WHERE organization_id IN (
                SELECT id FROM {orgs} WHERE path LIKE %s)
            AND NOT EXISTS (SELECT 1 FROM {EXPECTED_TABLE} e WHERE {key})""",
            [f"{root_path}%"],
        )
        changed = cursor.rowcount
        cursor.execute(
            f"""UPDATE {tally} SET own = e.own, subtree = e.subtree FROM {EXPECTED_TABLE} e
            WHERE {key} AND ({tally}.own <> e.own OR {tally}.subtree <> e.subtree)"""
        )
        changed += cursor.rowcount
        cursor.execute(
            f"""INSERT INTO {tally} (organization_id, post, own, subtree)
            SELECT e.organization_id, e.post, e.own, e.subtree FROM {EXPECTED_TABLE} e
            WHERE NOT EXISTS (SELECT 1 FROM {tally} WHERE {key})"""
        )
        changed += cursor.rowcount
        after = _root_counts(root_id, EXPECTED_TABLE) if root_id is not None else {}
        cursor.execute(f"DROP TABLE {EXPECTED_TABLE}")
    if root_id is not None:
        chain = list(
            Organization.objects.filter(path__in=path_chain(root_path, itself=False)).values_list(
                "id", flat=True
            )
        )
        for post in sorted(before.keys() | after.keys()):
            _carry_up(chain, post, after.get(post, 0) - before.get(post, 0))
    return changed


def _carry_up(chain: list[int], post: str, delta: int, holder: int | None = None) -> None:
    """Add `delta` to the subtree count of `post` in each organization of `chain` (and to the
    own count of `holder`, one of them); rows left at zero are removed."""
    if not delta or not chain:
        return
    PostTally.objects.bulk_create(
        [PostTally(organization_id=org_id, post=post) for org_id in chain], ignore_conflicts=True
    )
    tallies = PostTally.objects.filter(post=post, organization_id__in=chain)
    tallies.update(subtree=F("subtree") + delta)
    if holder is not None:
        tallies.filter(organization_id=holder).update(own=F("own") + delta)
    tallies.filter(own=0, subtree=0).delete()


def shift_post_tallies(org_ids: Iterable[int]) -> None:
    """After the posts of these few organizations changed: set their own counts to the posts
    table's and carry each difference up their chain of ancestors (a few queries each)."""
    ids = sorted(set(org_ids))
    actual = dict(
        ((org_id, post), n)
        for org_id, post, n in MemberPost.objects.filter(organization_id__in=ids)
        .order_by()
        .values("organization_id", "post")
        .annotate(n=Count("id"))
        .values_list("organization_id", "post", "n")
    )
    stored = dict(
        ((org_id, post), own)
        for org_id, post, own in PostTally.objects.filter(organization_id__in=ids).values_list(
            "organization_id", "post", "own"
        )
    )
    deltas = {
        key: actual.get(key, 0) - stored.get(key, 0)
        for key in sorted(actual.keys() | stored.keys())
        if actual.get(key, 0) != stored.get(key, 0)
    }
    if not deltas:
        return
    path_of = dict(
        Organization.objects.filter(pk__in={org_id for org_id, _ in deltas}).values_list(
            "id", "path"
        )
    )
    prefixes = {prefix for p in path_of.values() for prefix in path_chain(p)}
    id_of = dict(Organization.objects.filter(path__in=prefixes).values_list("path", "id"))
    for (org_id, post), delta in deltas.items():
        chain = [id_of[prefix] for prefix in path_chain(path_of[org_id])]
        _carry_up(chain, post, delta, holder=org_id)


def post_holders(org: Organization, post: str) -> int:
    """Members holding `post` in `org`'s subtree (one row read)."""
    held = PostTally.objects.filter(organization=org, post=post).values_list("subtree", flat=True)
    return next(iter(held), 0)


def post_tallies_drift() -> list[tuple[Key, tuple[int, int], tuple[int, int]]]:
    """Tallies that differ from the posts table: (key, stored, expected), compared in SQL."""
    select, params = expected_query()
    tally = PostTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COALESCE(t.organization_id, e.organization_id), COALESCE(t.post, e.post),
                COALESCE(t.own, 0), COALESCE(t.subtree, 0),
                COALESCE(e.own, 0), COALESCE(e.subtree, 0)
            FROM {tally} t FULL OUTER JOIN ({select}) e
                ON e.organization_id = t.organization_id AND e.post = t.post
            WHERE COALESCE(t.own, 0) <> COALESCE(e.own, 0)
                OR COALESCE(t.subtree, 0) <> COALESCE(e.subtree, 0)
            ORDER BY 1, 2""",
            params,
        )
        return [
            ((org_id, post), (own, sub), (e_own, e_sub))
            for org_id, post, own, sub, e_own, e_sub in cursor.fetchall()
        ]
