"""Has any of this changed? The rows of several tables, read in one round trip and hashed.

A stored file (a report) is reused while the data it shows is unchanged, and that question is
asked on every request for it. One ORM query per table costs a round trip and a query compile
each (about 1 ms together); a report reads some twenty tables. `digest_rows` reads them all with
one UNION ALL statement instead: each part selects some columns of one table as text (NULL
stays NULL), tagged with the part's name; the rows are sorted before hashing, so the result
does not depend on the order the database returns them in.

A part's columns are either columns whose every value matters (a plan's status, a target's
values) or aggregates such as COUNT(*) and MAX(updated_at) for tables where "how many, and the
latest change" is enough (an aggregate part gives one row). Its `where` is plain SQL with %s
placeholders. The statement is plain SQL (CAST … AS TEXT, UNION ALL, IN (SELECT …)) and runs
on PostgreSQL and SQLite alike; the tests read real rows through it on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Part:
    """`columns` of the rows of `table` where `where` holds (`params` fill its %s)."""

    table: str
    columns: Sequence[str]
    where: str
    params: Sequence[Any] = ()


def _cell(column: str) -> str:
    # Plain column names are quoted ("order" and "values" are SQL keywords); aggregates pass.
    expression = connection.ops.quote_name(column) if COLUMN.match(column) else column
    return f"CAST({expression} AS TEXT)"


def identity_sql(parts: Mapping[str, Part]) -> tuple[str, list[Any]]:
    """The UNION ALL statement of the parts and its parameters."""
    width = max(len(part.columns) for part in parts.values())
    selects: list[str] = []
    params: list[Any] = []
    for name, part in parts.items():
        if not COLUMN.match(name):
            raise ValueError(f"part names are plain identifiers: {name!r}")
        cells = [_cell(c) for c in part.columns] + ["CAST(NULL AS TEXT)"] * (width - len(part.columns))
        table = connection.ops.quote_name(part.table)
        # Names are identifiers (checked above), tables quoted, values in params: no user text.
        selects.append(f"SELECT CAST('{name}' AS TEXT), {', '.join(cells)} FROM {table} WHERE {part.where}")  # noqa: S608
        params.extend(part.params)
    return " UNION ALL ".join(selects), params


def identity_rows(parts: Mapping[str, Part]) -> list[tuple[str | None, ...]]:
    """Every part's rows as (name, text, …) tuples, sorted; one statement for all parts."""
    if not parts:
        return []
    sql, params = identity_sql(parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [tuple(row) for row in cursor.fetchall()]
    # None sorts as "" here but stays None in the tuple, so a NULL and an empty text differ.
    return sorted(rows, key=lambda row: tuple("" if v is None else v for v in row))


def digest_rows(parts: Mapping[str, Part]) -> str:
    """The sha256 of `identity_rows(parts)`."""
    digest = hashlib.sha256()
    for row in identity_rows(parts):
        digest.update(repr(row).encode())
        digest.update(b"\n")
    return digest.hexdigest()


@lru_cache(maxsize=32)
def files_digest(sources: tuple[str, ...], salt: str = "") -> str:
    """The sha256 of files and folders of the project (paths relative to BASE_DIR), once per process.

    What shapes a stored or cached rendering (templates, stylesheets, fonts, the code that
    formats, the translation catalogue) goes into its key, so a deployment that changes any of
    it never serves what the earlier code made.
    """
    digest = hashlib.sha256(salt.encode())
    root = Path(settings.BASE_DIR)
    for source in sources:
        path = root / source
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


# --- stored versions ----------------------------------------------------------------------------
#
# Reading the rows of a report's tables on every request costs some ten milliseconds for a
# county. Instead, on PostgreSQL, statement-level triggers keep a version per slice of that data
# (a district's school, a year, a kind of row) in one small table: every INSERT, UPDATE or DELETE,
# whatever wrote it (a service, a queryset .update(), a bulk import, COPY, raw SQL), bumps the
# versions of the slices its rows belong to, in the same transaction. A fingerprint then reads a
# few version rows in one statement.


@dataclass(frozen=True)
class Tracked:
    """A table whose writes bump the stored version of the slices its rows belong to.

    `district`, `school` and `year` are SQL expressions over the changed rows (alias `r`) and the
    rows `joins` adds ("0" where a slice is not of one school or one year; shared tables give 0
    for the district too). A row that no longer joins (its parent deleted before it) bumps
    nothing: Django deletes children before their parent, so every deletion is still seen.
    `columns`, when given, limits UPDATEs to rows where one of them changed (a bookkeeping update
    of other columns, such as a recompute's timestamps, changes nothing a report shows).
    """

    table: str
    part: str
    district: str
    school: str = "0"
    year: str = "0"
    joins: str = ""
    columns: Sequence[str] = ()


def _keys_select(tracked: Tracked, source: str) -> str:
    """The distinct (district, school, year) slices of the rows in `source` (aliased r)."""
    return (
        f"SELECT DISTINCT COALESCE({tracked.district}, 0) AS d, COALESCE({tracked.school}, 0) AS s,"  # noqa: S608
        f" COALESCE({tracked.year}, 0) AS y FROM {source} r {tracked.joins}"
    )


def tracking_sql(version_table: str, tracked: Sequence[Tracked]) -> list[str]:
    """PostgreSQL statements (re)installing the triggers of `tracked` (idempotent).

    One function per table, run once per statement (transition tables hold the changed rows), so
    a bulk insert of thousands of rows costs one upsert of its few slices.
    """
    sequence = f"{version_table}_seq"
    statements = [f"CREATE SEQUENCE IF NOT EXISTS {sequence}"]
    for item in tracked:
        if not COLUMN.match(item.table) or not COLUMN.match(item.part):
            raise ValueError(f"tables and parts are plain identifiers: {item.table!r}, {item.part!r}")
        function = f"{version_table}_bump_{item.table}"
        changed = "SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows"
        if item.columns:
            old = ", ".join(f"o.{connection.ops.quote_name(c)}" for c in item.columns)
            new = ", ".join(f"n.{connection.ops.quote_name(c)}" for c in item.columns)
            moved = f"FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE ({old}) IS DISTINCT FROM ({new})"
            changed = f"SELECT o.* {moved} UNION ALL SELECT n.* {moved}"
        upsert = (
            f"INSERT INTO {version_table} (district_id, school_id, year, part, version)"  # noqa: S608
            f" SELECT k.d, k.s, k.y, '{item.part}', nextval('{sequence}') FROM ({{keys}}) k"
            f" ON CONFLICT (district_id, school_id, year, part) DO UPDATE SET version = EXCLUDED.version"
        )
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {upsert.format(keys=_keys_select(item, "new_rows"))};
  ELSIF TG_OP = 'DELETE' THEN
    {upsert.format(keys=_keys_select(item, "old_rows"))};
  ELSE
    {upsert.format(keys=_keys_select(item, f"({changed})"))};
  END IF;
  RETURN NULL;
END
$$"""
        )
        for event, suffix, referencing in (
            ("INSERT", "ins", "NEW TABLE AS new_rows"),
            ("UPDATE", "upd", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "del", "OLD TABLE AS old_rows"),
        ):
            trigger = f"{function}_{suffix}"
            statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {item.table}")
            statements.append(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {item.table} REFERENCING {referencing}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    return statements


def untracking_sql(version_table: str, tracked: Sequence[Tracked]) -> list[str]:
    """PostgreSQL statements removing what `tracking_sql` installed."""
    statements = []
    for item in tracked:
        function = f"{version_table}_bump_{item.table}"
        statements += [f"DROP TRIGGER IF EXISTS {function}_{s} ON {item.table}" for s in ("ins", "upd", "del")]
        statements.append(f"DROP FUNCTION IF EXISTS {function}()")
    statements.append(f"DROP SEQUENCE IF EXISTS {version_table}_seq")
    return statements


def stored_versions(version_table: str, where: str, params: Sequence[Any]) -> str:
    """The sha256 of the version rows `where` selects (sorted), read in one statement."""
    sql = f"SELECT district_id, school_id, year, part, version FROM {version_table} WHERE {where}"  # noqa: S608 - constants
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = sorted(tuple(row) for row in cursor.fetchall())
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def district_versions(
    district_id: int,
    *,
    parts: Sequence[str] = (),
    years: Sequence[int] = (),
    shared: bool = False,
) -> str | None:
    """What a cached page fragment is keyed by: the stored versions of a district's slices.

    The versions are those the report triggers keep (settings.DATA_VERSIONS_TABLE, reports'
    InputsVersion): every write to a tracked table gives the slices it touches a new number from
    one sequence, so the digest of the selected version rows changes with any write to the data
    they cover and never comes back to an earlier value. `parts` limits the kinds of rows (empty:
    all), `years` the years (empty: all; slices of no year, 0, are always included), `shared` adds
    the shared tables' slices (rule profiles, checklists). The digest is computed by PostgreSQL in
    one statement, so a request pays a round trip, not the rows.

    None off PostgreSQL (no triggers there): the caller then does not cache.
    """
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(settings.DATA_VERSIONS_TABLE)
    where = ["district_id = %s"]
    params: list[Any] = [district_id]
    if parts:
        where.append("part = ANY(%s)")
        params.append(list(parts))
    if years:
        where.append("year = ANY(%s)")
        params.append([0, *years])
    condition = " AND ".join(where)
    if shared:
        condition = f"({condition}) OR district_id = 0"
    sql = (
        "SELECT count(*), md5(string_agg(concat_ws(':', district_id, school_id, year, part, version), ','"  # noqa: S608
        f" ORDER BY district_id, school_id, year, part)) FROM {table} WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, digest = cursor.fetchone()
    return f"{count}-{digest or ''}"
