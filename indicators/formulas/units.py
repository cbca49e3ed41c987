"""Evaluation units (standards.md §5; data-dictionary "Mixed schools") and their indicator values (§6)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from indicators.formulas.catalogue import FACILITY_FIELDS, LEVELS, SECTIONS, TEACHER_FIELDS
from indicators.formulas.profile import Profile, SchoolRecord, Scope, _Plan


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
    excluded_reason: str | None
    excluded_code: str | None
    merged_from: tuple[str, ...]


# Compulsory sections evaluated per school type (standards.md §2.6, §5.1, §5.2).
_SECTIONS_OF_TYPE: Final[Mapping[str, tuple[str, ...]]] = {
    "primary": ("primary",),
    "junior": ("junior",),
    "teaching_point": ("primary",),
    "nine_year": ("primary", "junior"),
    "twelve_year": ("primary", "junior"),
    "complete_middle": ("junior",),
    "special": ("primary", "junior"),
    "vocational_junior": ("junior",),
}
# Single-section schools keep their whole facility totals (share 1, no float drift).
_SINGLE_SECTION: Final = frozenset({"primary", "junior", "teaching_point", "vocational_junior"})
_STUDENT_KEYS: Final = {s: f"students_{s}" for s in SECTIONS}
_TEACHER_KEYS: Final = {level: tuple((base, f"{base}_{level}") for base in TEACHER_FIELDS) for level in LEVELS}
_PRIVATE_VALUES: Final = frozenset({"private", "民办"})

_REASONS: Final[Mapping[str, str]] = {
    "private": "民办学校,按规则不计入",
    "not_county_run": "非县属学校(省市直属、高校附属或企业办学),按规则不计入",
    "special": "特殊教育学校,不计入资源配置差异系数",
    "vocational": "职业初中,不计入资源配置差异系数",
    "teaching_point_excluded": "小学教学点,按规则不计入",
}


def _reported(value: float | None) -> float | None:
    """A reported number as float (Decimal from a database too); None, NaN, inf -> None."""
    if value is None:
        return None
    number = float(value)
    # NaN (or inf) from a spreadsheet reader is "not reported", never a number.
    return number if math.isfinite(number) else None


def _count(value: float | None) -> int | None:
    number = _reported(value)
    return None if number is None else round(number)


def _add(a: float | None, b: float | None) -> float | None:
    # Strict: a merged total is only known when every part was reported.
    return None if a is None or b is None else a + b


class _Draft:
    """Mutable unit under construction (merging needs a second pass over the units)."""

    __slots__ = (
        "code",
        "included",
        "level",
        "merged_from",
        "reason",
        "record",
        "share",
        "students",
        "students_reported",
        "totals",
    )

    def __init__(
        self,
        record: SchoolRecord,
        level: str,
        students: int | None,
        totals: dict[str, float | None],
        share: float,
    ) -> None:
        self.record = record
        self.level = level
        self.students_reported = students is not None
        self.students = students if students is not None and students > 0 else 0
        self.totals = totals
        self.share = share
        self.included = True
        self.reason: str | None = None
        self.code: str | None = None
        self.merged_from: list[str] = []

    def exclude(self, code: str, reason: str) -> None:
        self.included = False
        self.code = code
        self.reason = reason


def _school_exclusion(record: SchoolRecord, scope: Scope) -> str | None:
    """The first school-level exclusion code that applies, in the documented order."""
    if scope.exclude_private and record.ownership in _PRIVATE_VALUES:
        return "private"
    if scope.exclude_non_county and not record.county_run:
        return "not_county_run"
    if record.school_type == "special" and scope.exclude_special:
        return "special"
    if record.school_type == "vocational_junior" and scope.exclude_vocational:
        return "vocational"
    if record.school_type == "teaching_point" and scope.teaching_point_mode == "exclude":
        return "teaching_point_excluded"
    return None


def evaluation_units(schools: Sequence[SchoolRecord], profile: Profile) -> list[Unit]:
    """Split schools into evaluation units and apply the scope rules (standards.md §5).

    * One unit per compulsory section: primary/teaching_point -> primary; junior ->
      junior; nine_year/twelve_year -> primary + junior; complete_middle -> junior (senior
      dropped); special -> one unit per section with students; vocational_junior -> junior.
    * Students and teachers come from the section's own columns. Facility totals are shared
      by weighted students, share_s = w_s*P_s / sum_t w_t*P_t over primary, junior and senior
      (1 : 1.1 : 1.32 by default, §5.2); single-section schools get share 1.
    * Exclusions carry a stable ``excluded_code`` and a Chinese reason. Checked in this order:
      private, not_county_run, special, vocational, teaching_point_excluded,
      teaching_point_small, merged_into_parent / parent_missing, no_students (and
      unknown_type for a school type outside :data:`SCHOOL_TYPES`).
    * ``merge_into_parent``: a teaching point's primary students, primary teacher counts and
      whole facility totals are added to the primary unit of ``parent_school_code`` (which
      lists it in ``merged_from``); a merged total is None if either part is not reported.
      Without such a parent (absent, no primary unit, or itself a teaching point) the point
      stays excluded as ``parent_missing``.
    * Output order: schools in input order, primary before junior.
    """
    scope = profile.scope
    weights = profile.section_weights
    w_primary, w_junior, w_senior = weights["primary"], weights["junior"], weights["senior"]
    mode = scope.teaching_point_mode
    min_students = scope.teaching_point_min_students
    isfinite = math.isfinite
    drafts: list[_Draft] = []
    primary_by_code: dict[str, _Draft] = {}
    to_merge: list[_Draft] = []

    for record in schools:
        get = record.stats.get
        school_type = record.school_type
        known_type = school_type in _SECTIONS_OF_TYPE
        students = {
            "primary": _count(get("students_primary")),
            "junior": _count(get("students_junior")),
        }
        sections = _SECTIONS_OF_TYPE.get(school_type, ("primary",))
        if school_type == "special":
            # Only sections that have students; keep one unit so the school is still listed.
            sections = tuple(s for s in LEVELS if students[s]) or ("primary",)

        facility: dict[str, float | None] = {}
        for name in FACILITY_FIELDS:
            # Inlined _reported(): this loop runs for every school of the country.
            value = get(name)
            if value is not None:
                value = float(value)
                if not isfinite(value):
                    value = None
            facility[name] = value
        if school_type in _SINGLE_SECTION or not known_type:
            shares = dict.fromkeys(sections, 1.0)
        else:
            weighted = {
                "primary": w_primary * (students["primary"] or 0),
                "junior": w_junior * (students["junior"] or 0),
            }
            senior = w_senior * (_count(get("students_senior")) or 0)
            denominator = math.fsum((weighted["primary"], weighted["junior"], senior))
            # No weighted students at all: share 0 (the unit has no students either).
            shares = {s: (weighted[s] / denominator if denominator > 0 else 0.0) for s in sections}

        exclusion = _school_exclusion(record, scope) if known_type else "unknown_type"
        for level in sections:
            share = shares[level]
            totals: dict[str, float | None]
            if len(sections) == 1 and share == 1.0:
                totals = facility  # one unit per school: no copy needed
            else:
                totals = {f: (None if v is None else v * share) for f, v in facility.items()}
            for base, key in _TEACHER_KEYS[level]:
                value = get(key)
                if value is not None:
                    value = float(value)
                    if not isfinite(value):
                        value = None
                totals[base] = value
            draft = _Draft(record, level, students[level], totals, share)
            drafts.append(draft)
            if exclusion == "unknown_type":
                draft.exclude(exclusion, f"未知学校类型 {school_type!r},未计入")
            elif exclusion is not None:
                draft.exclude(exclusion, _REASONS[exclusion])
            elif school_type == "teaching_point":
                if mode == "separate":
                    count = students[level]
                    if min_students is not None and count is not None and count < min_students:
                        draft.exclude(
                            "teaching_point_small",
                            f"教学点在校生 {count} 人,不足 {min_students} 人",
                        )
                else:  # merge_into_parent: resolved after every school has its units
                    to_merge.append(draft)
            if level == "primary" and school_type != "teaching_point":
                # A teaching point is never a merge target (no chains of teaching points).
                primary_by_code.setdefault(record.school_code, draft)

    for point in to_merge:
        parent_code = point.record.parent_school_code
        parent = primary_by_code.get(parent_code) if parent_code else None
        if parent is None:
            point.exclude(
                "parent_missing",
                f"教学点所属学校 {parent_code or '(未填)'} 不在本次数据中或没有小学部,未能合并",
            )
            continue
        parent.students += point.students
        parent_totals = parent.totals
        for name, value in point.totals.items():
            parent_totals[name] = _add(parent_totals.get(name), value)
        parent.merged_from.append(point.record.school_code)
        point.exclude(
            "merged_into_parent",
            f"教学点已并入所属学校 {parent.record.school_code} {parent.record.school_name} 计算",
        )

    units: list[Unit] = []
    for draft in drafts:
        if draft.included and draft.students <= 0:
            draft.exclude(
                "no_students",
                "在校生为 0,不参与计算" if draft.students_reported else "在校生未填报,不参与计算",
            )
        record = draft.record
        units.append(
            Unit(
                record.school_code,
                record.school_name,
                record.school_type,
                draft.level,
                draft.students,
                draft.totals,
                draft.share,
                draft.included,
                draft.reason,
                draft.code,
                tuple(draft.merged_from),
            )
        )
    return units


# --------------------------------------------------------------------------------------------
# Indicator values (standards.md §6)
# --------------------------------------------------------------------------------------------


def _numerators(totals: Mapping[str, float | None], plan: _Plan) -> list[float | None]:
    """Numerator totals of every indicator of the plan, in profile order."""
    get = totals.get
    numerators = [get(name) for name in plan.numerators]
    if plan.subtract_indoor:
        # §5.3 double-count switch: an unreported indoor area counts as 0.
        indoor = get("indoor_sports_area")
        if indoor is not None:
            for i in plan.subtract_indoor:
                total = numerators[i]
                if total is not None:
                    numerators[i] = total - indoor
    return numerators


def _values(numerators: list[float | None], students: int, plan: _Plan) -> list[float | None]:
    if students <= 0:
        return [None] * len(numerators)
    return [
        None if total is None else factor * total / students
        for total, factor in zip(numerators, plan.factors, strict=True)
    ]


def unit_values(unit: Unit, profile: Profile) -> dict[str, float | None]:
    """Indicator values of one unit: value = factor x numerator total / students (§6).

    Units: the indicator's unit (m²/生, 元/生, 人/百名学生, ...). Full precision, no rounding.
    None when the unit has no students or the numerator is not reported. With
    ``profile.subtract_indoor_sports`` the teaching-area numerator is teaching_area minus
    indoor_sports_area (an unreported indoor area counts as 0; §5.3).
    """
    plan = profile._plan
    values = _values(_numerators(unit.totals, plan), unit.students, plan)
    return dict(zip(plan.keys, values, strict=True))
