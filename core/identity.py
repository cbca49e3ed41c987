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
