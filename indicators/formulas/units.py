"""Evaluation units (standards.md §5; data-dictionary "Mixed schools") and their indicator values (§6).

The rules, as `unit_table` applies them to a whole batch of counties at once:

* One unit per compulsory section: primary/teaching_point -> primary; junior -> junior;
  nine_year/twelve_year -> primary + junior; complete_middle -> junior (senior dropped); special ->
  one unit per section with students (one primary unit if none); vocational_junior -> junior; a
  type the engine does not know -> one primary unit, excluded.
* Students and teachers come from the section's own columns. Facility totals are shared by
  weighted students, share_s = w_s*P_s / sum_t w_t*P_t over primary, junior and senior (1 : 1.1 :
  1.32 by default, §5.2); single-section schools get share 1.
* Exclusions carry a stable code and a note. Checked in this order: private, not_county_run,
  special, vocational, teaching_point_excluded, teaching_point_small, merged_into_parent /
  parent_missing, no_students (and unknown_type for a school type outside SCHOOL_TYPES).
* ``merge_into_parent``: a teaching point's primary students, primary teacher counts and whole
  facility totals are added to the primary unit of its parent school (which lists it in
  ``merged_from``); a merged total is unknown if either part is not reported. Without such a
  parent (absent, no primary unit, or itself a teaching point) the point stays excluded as
  ``parent_missing``.
* Order: schools in input order, primary before junior.

The part that depends only on the section weights (`unit_sections`) is shared by every profile
with the same weights; the scope rules are applied per profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from indicators.formulas.catalogue import FACILITY_FIELDS, LEVELS, SCHOOL_TYPES, TEACHER_FIELDS, Note
from indicators.formulas.profile import Profile, SchoolRecord
from indicators.formulas.table import COLUMN, BoolArray, FloatArray, IntArray, SchoolTable, school_table

#: A unit's totals, as the columns of `UnitTable.totals`: facility fields (the unit's share) and
#: teacher base fields (the section's own columns, without the level suffix).
UNIT_FIELDS: Final[tuple[str, ...]] = FACILITY_FIELDS + TEACHER_FIELDS
UNIT_FIELD: Final = {name: i for i, name in enumerate(UNIT_FIELDS)}

_T = {name: i for i, name in enumerate(SCHOOL_TYPES)}
_PRIMARY_TYPES: Final = [_T["primary"], _T["teaching_point"], _T["nine_year"], _T["twelve_year"]]
_JUNIOR_TYPES: Final = [
    _T["junior"],
    _T["nine_year"],
    _T["twelve_year"],
    _T["complete_middle"],
    _T["vocational_junior"],
]
# Single-section schools keep their whole facility totals (share 1).
_SINGLE_SECTION: Final = [_T["primary"], _T["junior"], _T["teaching_point"], _T["vocational_junior"]]
_FACILITY_COLUMNS: Final = [COLUMN[f] for f in FACILITY_FIELDS]
_TEACHER_COLUMNS: Final = [[COLUMN[f"{base}_{level}"] for base in TEACHER_FIELDS] for level in LEVELS]
#: School-level exclusions, in the order they are checked (index = code number - 1).
_EXCLUSIONS: Final = ("private", "not_county_run", "special", "vocational", "teaching_point_excluded", "unknown_type")


@dataclass(frozen=True, slots=True)
class Unit:
    """One evaluation unit: a school, or one compulsory section of a mixed school.

    ``totals`` holds the unit's numerator totals: facility fields (already multiplied by
    ``facility_share``, plus merged teaching points) and teacher base fields (the section's own
    columns, without the ``_primary``/``_junior`` suffix). None = not reported.
    """

    school_code: str
    school_name: str
    school_type: str
    level: str
    students: int
    totals: Mapping[str, float | None]
    facility_share: float
    included: bool
    excluded_code: str | None
    merged_from: tuple[str, ...]
    exclusion: Note | None = None

    @property
    def excluded_reason(self) -> str | None:
        """Why the unit is left out, in Chinese (``exclusion`` holds the code and figures)."""
        return None if self.exclusion is None else self.exclusion.text


@dataclass(frozen=True, slots=True)
class Sections:
    """The units of a school table before the scope rules (they depend on the weights only)."""

    school: IntArray  # row in the school table
    level: IntArray  # index in LEVELS
    count: FloatArray  # the section's reported head count (rounded), NaN if not reported
    share: FloatArray
    totals: FloatArray  # (units, UNIT_FIELDS)


@dataclass(frozen=True, slots=True)
class UnitTable:
    """The evaluation units of a school table under one profile, as arrays."""

    table: SchoolTable
    school: IntArray
    county: IntArray  # the county of each unit in the batch (units are in county order)
    level: IntArray
    students: FloatArray  # >= 0; whole numbers
    share: FloatArray
    totals: FloatArray  # (units, UNIT_FIELDS), NaN = not reported
    included: BoolArray
    excluded_code: list[str | None]
    exclusion: list[Note | None]
    merged_from: dict[int, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.school)


def unit_sections(table: SchoolTable, weights: Mapping[str, float]) -> Sections:
    """Split every school into its compulsory sections, with their head counts and totals."""
    n = len(table.records)
    kind = table.type_code
    stats = table.stats
    count = np.round(stats[:, [COLUMN["students_primary"], COLUMN["students_junior"], COLUMN["students_senior"]]])
    has = np.empty((n, 2), dtype=np.bool_)
    has[:, 0] = np.isin(kind, _PRIMARY_TYPES) | (kind < 0)
    has[:, 1] = np.isin(kind, _JUNIOR_TYPES)
    special = kind == _T["special"]
    if special.any():
        # Only sections that have students; keep one primary unit so the school is still listed.
        with_students = np.nan_to_num(count[:, :2]) != 0
        has[special] = with_students[special]
        has[special & ~with_students.any(axis=1), 0] = True
    school = np.repeat(np.arange(n, dtype=np.int64), 2)[has.ravel()]
    level = np.tile(np.array([0, 1], dtype=np.int64), n)[has.ravel()]

    weighted = np.nan_to_num(count) * np.array([weights["primary"], weights["junior"], weights["senior"]])
    denominator = weighted.sum(axis=1)
    own = weighted[school, level]
    share = np.where(denominator[school] > 0, own / np.where(denominator[school] > 0, denominator[school], 1.0), 0.0)
    share[np.isin(kind[school], _SINGLE_SECTION) | (kind[school] < 0)] = 1.0

    totals = np.empty((len(school), len(UNIT_FIELDS)), dtype=np.float64)
    totals[:, : len(FACILITY_FIELDS)] = stats[school][:, _FACILITY_COLUMNS] * share[:, None]
    teachers = np.array(_TEACHER_COLUMNS)[level]  # (units, teacher fields): the level's columns
    totals[:, len(FACILITY_FIELDS) :] = stats[school[:, None], teachers]
    return Sections(school, level, count[school, level], share, totals)


def unit_table(table: SchoolTable, profile: Profile, sections: Sections | None = None) -> UnitTable:
    """Apply `profile`'s scope rules to the sections of `table` (computed here if not given)."""
    if sections is None:
        sections = unit_sections(table, profile.section_weights)
    scope = profile.scope
    records = table.records
    kind = table.type_code[sections.school]
    count = sections.count
    students = np.where(count > 0, count, 0.0)  # NaN > 0 is False
    totals = sections.totals

    # School-level exclusions, the first that applies.
    conditions = [
        table.private[sections.school] & scope.exclude_private,
        ~table.county_run[sections.school] & scope.exclude_non_county,
        (kind == _T["special"]) & scope.exclude_special,
        (kind == _T["vocational_junior"]) & scope.exclude_vocational,
        (kind == _T["teaching_point"]) & (scope.teaching_point_mode == "exclude"),
    ]
    rule = np.select(conditions, list(range(1, len(conditions) + 1)), default=0)
    rule[kind < 0] = len(_EXCLUSIONS)
    units = len(sections.school)
    codes: list[str | None] = [None] * units
    notes: list[Note | None] = [None] * units
    for i in np.flatnonzero(rule).tolist():
        code = _EXCLUSIONS[rule[i] - 1]
        codes[i] = code
        notes[i] = Note(
            code, {"school_type": records[sections.school[i]].school_type} if code == "unknown_type" else {}
        )

    points = np.flatnonzero((rule == 0) & (kind == _T["teaching_point"])).tolist()
    merged_from: dict[int, list[str]] = {}
    if points and scope.teaching_point_mode == "separate":
        minimum = scope.teaching_point_min_students
        for i in points:
            if minimum is not None and not np.isnan(count[i]) and count[i] < minimum:
                codes[i] = "teaching_point_small"
                notes[i] = Note("teaching_point_small", {"count": int(count[i]), "minimum": minimum})
    elif points:  # merge_into_parent
        students, totals = students.copy(), totals.copy()
        primary_unit = np.full(len(records), -1, dtype=np.int64)
        first = sections.level == 0
        primary_unit[sections.school[first]] = np.flatnonzero(first)  # a school has one primary unit
        for i in points:
            point = records[sections.school[i]]
            parent_row = table.parent[sections.school[i]]
            target = primary_unit[parent_row] if parent_row >= 0 else -1
            if target < 0 or table.type_code[parent_row] == _T["teaching_point"]:
                codes[i] = "parent_missing"
                notes[i] = Note("parent_missing", {"parent": point.parent_school_code or "—"})
                continue
            parent = records[parent_row]
            students[target] += students[i]
            totals[target] += totals[i]  # NaN if either part is not reported
            merged_from.setdefault(int(target), []).append(point.school_code)
            codes[i] = "merged_into_parent"
            notes[i] = Note("merged_into_parent", {"parent": parent.school_code, "parent_name": parent.school_name})

    included = np.array([c is None for c in codes], dtype=np.bool_) if units else np.zeros(0, dtype=np.bool_)
    for i in np.flatnonzero(included & (students <= 0)).tolist():
        code = "no_students" if not np.isnan(count[i]) else "students_unreported"
        codes[i] = "no_students"
        notes[i] = Note(code)
        included[i] = False
    return UnitTable(
        table,
        sections.school,
        table.county[sections.school],
        sections.level,
        students,
        sections.share,
        totals,
        included,
        codes,
        notes,
        merged_from,
    )


def units_of(units: UnitTable, span: range | None = None) -> list[Unit]:
    """Units of a table (all, or those in `span`) as objects (one county: pages, tests, the CLI)."""
    records = units.table.records
    span = span if span is not None else range(len(units))
    part = slice(span.start, span.stop)
    totals = units.totals[part].tolist()
    out = []
    for offset, (row, level, students, share) in enumerate(
        zip(
            units.school[part].tolist(),
            units.level[part].tolist(),
            units.students[part].tolist(),
            units.share[part].tolist(),
            strict=True,
        )
    ):
        i = span.start + offset
        record = records[row]
        out.append(
            Unit(
                school_code=record.school_code,
                school_name=record.school_name,
                school_type=record.school_type,
                level=LEVELS[level],
                students=int(students),
                totals={name: None if v != v else v for name, v in zip(UNIT_FIELDS, totals[offset], strict=True)},
                facility_share=share,
                included=bool(units.included[i]),
                excluded_code=units.excluded_code[i],
                merged_from=tuple(units.merged_from.get(i, ())),
                exclusion=units.exclusion[i],
            )
        )
    return out


def evaluation_units(schools: Sequence[SchoolRecord], profile: Profile) -> list[Unit]:
    """Split one county's schools into evaluation units and apply the scope rules (§5).

    See the module docstring for the rules. The units of a whole batch of counties are made at
    once by `unit_table`; this is the same for one county, as objects.
    """
    return units_of(unit_table(school_table([schools]), profile))


# --------------------------------------------------------------------------------------------
# Indicator values (standards.md §6)
# --------------------------------------------------------------------------------------------


def numerators(units: UnitTable, profile: Profile) -> FloatArray:
    """(units, indicators): each indicator's numerator total, NaN where not reported.

    With ``subtract_indoor_sports`` the teaching-area numerator is teaching_area minus
    indoor_sports_area (an unreported indoor area counts as 0; §5.3).
    """
    columns = [UNIT_FIELD[rule.numerator] for rule in profile.indicators]
    out = units.totals[:, columns]
    if profile.subtract_indoor_sports:
        indoor = np.nan_to_num(units.totals[:, UNIT_FIELD["indoor_sports_area"]])
        for j, rule in enumerate(profile.indicators):
            if rule.numerator == "teaching_area":
                out[:, j] -= indoor
    return out


def values_of(numerator_totals: FloatArray, students: FloatArray, profile: Profile) -> FloatArray:
    """(units, indicators): value = factor x numerator total / students; NaN without students."""
    factors = np.array([rule.factor for rule in profile.indicators])
    with np.errstate(divide="ignore", invalid="ignore"):
        values = factors * numerator_totals / students[:, None]
    values[students <= 0] = np.nan
    return values


def unit_values(unit: Unit, profile: Profile) -> dict[str, float | None]:
    """Indicator values of one unit: value = factor x numerator total / students (§6).

    Units: the indicator's unit (m²/生, 元/生, 人/百名学生, ...). Full precision, no rounding.
    None when the unit has no students or the numerator is not reported. With
    ``profile.subtract_indoor_sports`` the teaching-area numerator is teaching_area minus
    indoor_sports_area (an unreported indoor area counts as 0; §5.3).
    """
    totals = np.array([[unit.totals.get(name) for name in UNIT_FIELDS]], dtype=np.float64)
    one = UnitTable(
        school_table([[]]),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.array([LEVELS.index(unit.level)]),
        np.array([float(max(unit.students, 0))]),
        np.ones(1),
        totals,
        np.ones(1, np.bool_),
        [None],
        [None],
    )
    row = values_of(numerators(one, profile), one.students, profile)[0].tolist()
    return {rule.key: None if v != v else v for rule, v in zip(profile.indicators, row, strict=True)}
