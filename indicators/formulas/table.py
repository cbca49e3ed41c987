"""Schools as columns: the engine's input in the form its array arithmetic reads.

One row per school, in input order; the counties of a batch one after another. Numbers are
float64 with NaN for "not reported" (None, NaN or an infinite value in the input all mean that:
a spreadsheet's NaN is never a number). Built once per batch and shared by every profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from indicators.formulas.catalogue import FACILITY_FIELDS, LEVELS, SCHOOL_TYPES, TEACHER_FIELDS
from indicators.formulas.profile import SchoolRecord

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: The statistics the engine reads, as the columns of `SchoolTable.stats`.
STUDENT_COLUMNS: Final = ("students_primary", "students_junior", "students_senior")
TEACHER_COLUMNS: Final = tuple(f"{base}_{level}" for level in LEVELS for base in TEACHER_FIELDS)
COLUMNS: Final[tuple[str, ...]] = STUDENT_COLUMNS + FACILITY_FIELDS + TEACHER_COLUMNS
COLUMN: Final = {name: i for i, name in enumerate(COLUMNS)}
_PRIVATE_VALUES: Final = frozenset({"private", "民办"})
_TYPE_CODE: Final = {name: i for i, name in enumerate(SCHOOL_TYPES)}


@dataclass(frozen=True, slots=True)
class SchoolTable:
    """The schools of one or more counties as arrays (n schools).

    ``county`` numbers each school's county in the batch (0, 1, ...); ``type_code`` indexes
    SCHOOL_TYPES (-1 for a type the engine does not know); ``parent`` is the row of a teaching
    point's parent school in the same county (-1 when it has none there); ``stats`` has the
    COLUMNS, NaN where not reported.
    """

    records: tuple[SchoolRecord, ...]
    county: IntArray
    counties: int
    type_code: IntArray
    private: BoolArray
    county_run: BoolArray
    parent: IntArray
    stats: FloatArray


def school_table(counties: Sequence[Sequence[SchoolRecord]]) -> SchoolTable:
    """Columns of the schools of `counties` (each a sequence of records), in that order."""
    records = tuple(record for county in counties for record in county)
    county = np.repeat(np.arange(len(counties), dtype=np.int64), [len(c) for c in counties])
    rows = [[record.stats.get(name) for name in COLUMNS] for record in records]
    stats = np.array(rows, dtype=np.float64).reshape(len(records), len(COLUMNS))
    stats[~np.isfinite(stats)] = np.nan
    parent = np.full(len(records), -1, dtype=np.int64)
    start = 0
    for size in (len(c) for c in counties):
        # A teaching point's parent is looked up among the schools of its own county.
        row_of: dict[str, int] = {}
        for row in range(start, start + size):
            row_of.setdefault(records[row].school_code, row)
        for row in range(start, start + size):
            code = records[row].parent_school_code
            if code:
                parent[row] = row_of.get(code, -1)
        start += size
    return SchoolTable(
        records=records,
        county=county,
        counties=len(counties),
        type_code=np.array([_TYPE_CODE.get(r.school_type, -1) for r in records], dtype=np.int64),
        private=np.array([r.ownership in _PRIVATE_VALUES for r in records], dtype=np.bool_),
        county_run=np.array([bool(r.county_run) for r in records], dtype=np.bool_),
        parent=parent,
        stats=stats,
    )
