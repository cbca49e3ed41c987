"""Pure computation core for 县域义务教育均衡发展 evaluation (no Django, no database).

Everything here is plain standard-library Python so that it can be unit-tested in isolation and
run over a whole country (about 2,900 counties x 70 evaluation units) in a few seconds.

Sources (``/work/shared/reference/standards.md`` unless said otherwise):

* §1 and §3.2 -- the seven 2017 资源配置 indicators, their per-school standards, the per-indicator
  CV thresholds (primary <= 0.50, junior <= 0.45) and the "6 of 7, the rest >= 85 %" school rule.
* §2.3 -- the eight 2012 校际均衡 indicators and the 综合差异系数 (mean of the CVs, <= 0.65/0.55).
* §4 -- the student-weighted population CV computed from raw totals; edge cases in §4.3.
* §5 -- scope switches (private, non-county, teaching points, special, vocational) and the
  1 : 1.1 : 1.32 weighted split of facility totals of mixed schools.
* §6 -- per-indicator formulas (per student, or per 100 students).
* §9 -- worked examples used as regression tests; §10 -- implementation notes.
* ``data-dictionary.md`` -- field keys, indicator keys, default profiles, mixed schools.

Numbers are kept at full precision throughout; rounding is for display only (§4.2, §10.2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple, cast

__all__ = [
    "COUNTY_RULES",
    "DEFAULT_SECTION_WEIGHTS",
    "ENGINE_VERSION",
    "FACILITY_FIELDS",
    "INDICATOR_CATALOG",
    "LEVELS",
    "NEAR_THRESHOLD",
    "SCHOOL_TYPES",
    "SECTIONS",
    "TEACHER_FIELDS",
    "TEACHING_POINT_MODES",
    "CVResult",
    "CVTerm",
    "CountyResult",
    "Gap",
    "IndicatorResult",
    "IndicatorRule",
    "LevelResult",
    "Profile",
    "ProfileError",
    "SchoolRecord",
    "SchoolRule",
    "Scope",
    "Unit",
    "UnitCompliance",
    "UnitResult",
    "evaluate_county",
    "evaluation_units",
    "unit_compliance",
    "unit_values",
    "weighted_cv",
]

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

#: Compulsory levels that get their own CV (primary 小学, junior 初中).
LEVELS: Final[tuple[str, str]] = ("primary", "junior")
#: Sections whose students share a mixed school's facilities (senior only counts in the split).
SECTIONS: Final[tuple[str, str, str]] = ("primary", "junior", "senior")
#: Whole-school facility totals; split between sections by weighted students (§5.2).
FACILITY_FIELDS: Final[tuple[str, ...]] = (
    "teaching_area",
    "indoor_sports_area",
    "sports_area",
    "equipment_value",
    "books",
    "computers",
    "multimedia_rooms",
)
#: Teacher base fields; the statistics carry them per section with a ``_primary``/``_junior``
#: suffix and they are never split by weight (§5.2, "Teachers are not split by weight").
TEACHER_FIELDS: Final[tuple[str, ...]] = (
    "teachers",
    "qualified_teachers",
    "mid_title_teachers",
    "backbone_teachers",
    "pe_art_teachers",
)
KNOWN_FIELDS: Final[frozenset[str]] = frozenset(FACILITY_FIELDS + TEACHER_FIELDS)

SCHOOL_TYPES: Final[tuple[str, ...]] = (
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_middle",
    "teaching_point",
    "special",
    "vocational_junior",
)
TEACHING_POINT_MODES: Final[tuple[str, str, str]] = ("separate", "exclude", "merge_into_parent")
COUNTY_RULES: Final[tuple[str, str]] = ("each_indicator", "composite")

TeachingPointMode = Literal["separate", "exclude", "merge_into_parent"]
CountyRule = Literal["each_indicator", "composite"]

#: Student weights for splitting facilities, primary : junior : senior = 1 : 1.1 : 1.32 (§5.2).
DEFAULT_SECTION_WEIGHTS: Final[Mapping[str, float]] = {
    "primary": 1.0,
    "junior": 1.1,
    "senior": 1.32,
}

#: A CV this close to its threshold is flagged for human review: whether the official comparison
#: uses the 3-dp rounded or the exact value is unknown (§4.3, [U]).
# Version of these formulas. Stored results carry it, and a change makes them recompute: bump it
# whenever a change here could change a stored number.
ENGINE_VERSION: Final[str] = "2026.11.1"
NEAR_THRESHOLD: Final[float] = 0.0005

#: Relative tolerance for products of decimal constants that binary floats cannot represent
#: exactly (0.85 x 7.5, 4.2 x 300 / 100). Used for the 85 % floor and for rounding gaps up;
#: the "met" test itself is an exact comparison.
_REL_EPS: Final[float] = 1e-9

#: Known indicators (data-dictionary "Indicator keys", standards.md §2.3, §3.2, §6). A profile
#: may only use these keys; missing descriptive fields in a profile are filled from here.
#: factor 100 = "每百名学生", factor 1 = per student (2012 teacher ratios are decimals, §2.3).
INDICATOR_CATALOG: Final[Mapping[str, Mapping[str, str | float]]] = {
    "qualified_teachers_per100": {
        "label": "每百名学生拥有高于规定学历教师数",
        "numerator": "qualified_teachers",
        "factor": 100.0,
        "unit": "人/百名学生",
        "gap_label": "高于规定学历教师",
        "gap_unit": "人",
    },
    "backbone_teachers_per100": {
        "label": "每百名学生拥有县级以上骨干教师数",
        "numerator": "backbone_teachers",
        "factor": 100.0,
        "unit": "人/百名学生",
        "gap_label": "县级以上骨干教师",
        "gap_unit": "人",
    },
    "pe_art_teachers_per100": {
        "label": "每百名学生拥有体育、艺术专任教师数",
        "numerator": "pe_art_teachers",
        "factor": 100.0,
        "unit": "人/百名学生",
        "gap_label": "体育、艺术专任教师",
        "gap_unit": "人",
    },
    "teaching_area_per_student": {
        "label": "生均教学及辅助用房面积",
        "numerator": "teaching_area",
        "factor": 1.0,
        "unit": "m²/生",
        "gap_label": "教学及辅助用房",
        "gap_unit": "m²",
    },
    "sports_area_per_student": {
        "label": "生均体育运动场馆面积",
        "numerator": "sports_area",
        "factor": 1.0,
        "unit": "m²/生",
        "gap_label": "体育运动场馆",
        "gap_unit": "m²",
    },
    "equipment_value_per_student": {
        "label": "生均教学仪器设备值",
        "numerator": "equipment_value",
        "factor": 1.0,
        "unit": "元/生",
        "gap_label": "仪器设备",
        "gap_unit": "元",
    },
    "multimedia_rooms_per100": {
        "label": "每百名学生拥有网络多媒体教室数",
        "numerator": "multimedia_rooms",
        "factor": 100.0,
        "unit": "间/百名学生",
        "gap_label": "网络多媒体教室",
        "gap_unit": "间",
    },
    "computers_per100": {
        "label": "每百名学生拥有计算机台数",
        "numerator": "computers",
        "factor": 100.0,
        "unit": "台/百名学生",
        "gap_label": "教学用计算机",
        "gap_unit": "台",
    },
    "books_per_student": {
        "label": "生均图书册数",
        "numerator": "books",
        "factor": 1.0,
        "unit": "册/生",
        "gap_label": "图书",
        "gap_unit": "册",
    },
    "teacher_student_ratio": {
        "label": "师生比",
        "numerator": "teachers",
        "factor": 1.0,
        "unit": "人/生",
        "gap_label": "专任教师",
        "gap_unit": "人",
    },
    "qualified_teachers_per_student": {
        "label": "生均高于规定学历教师数",
        "numerator": "qualified_teachers",
        "factor": 1.0,
        "unit": "人/生",
        "gap_label": "高于规定学历教师",
        "gap_unit": "人",
    },
    "mid_title_teachers_per_student": {
        "label": "生均中级及以上专业技术职务教师数",
        "numerator": "mid_title_teachers",
        "factor": 1.0,
        "unit": "人/生",
        "gap_label": "中级及以上职称教师",
        "gap_unit": "人",
    },
}


class ProfileError(ValueError):
    """An invalid rule profile. The message is bilingual: "中文 / English"."""


def _err(zh: str, en: str) -> ProfileError:
    return ProfileError(f"{zh} / {en}")


# --------------------------------------------------------------------------------------------
# Input records and rule profiles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchoolRecord:
    """One school's row of annual statistics (data-dictionary "Annual statistics").

    ``stats`` uses the data dictionary's keys. A missing key or ``None`` means "not reported",
    which is different from 0.
    """

    school_code: str
    school_name: str
    school_type: str
    ownership: str
    county_run: bool
    parent_school_code: str | None
    stats: Mapping[str, float | None]


def _check_level_map(values: Mapping[str, float | None], where: str) -> None:
    unknown = sorted(set(values) - set(LEVELS))
    if unknown:
        raise _err(f"{where} 含未知学段 {unknown}", f"{where} has unknown levels {unknown}")
    for level, value in values.items():
        if value is None:
            continue
        if not math.isfinite(value):
            raise _err(f"{where}.{level} 不是有限数值", f"{where}.{level} is not a finite number")
        if value < 0:
            raise _err(
                f"{where}.{level} 不能为负数 ({value})",
                f"{where}.{level} must not be negative ({value})",
            )


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    """One indicator: value = factor x numerator total / students (standards.md §6).

    ``standards`` are per-school minimums by level (None = not assessed at that level);
    ``cv_thresholds`` are the county CV maximums by level (None = not tested).
    """

    key: str
    label: str
    numerator: str
    factor: float
    unit: str
    gap_label: str
    gap_unit: str
    standards: Mapping[str, float | None]
    cv_thresholds: Mapping[str, float | None]

    def __post_init__(self) -> None:
        if self.key not in INDICATOR_CATALOG:
            raise _err(f"未知指标 {self.key!r}", f"unknown indicator key {self.key!r}")
        if self.numerator not in KNOWN_FIELDS:
            raise _err(
                f"指标 {self.key} 的分子 {self.numerator!r} 不是已知字段",
                f"numerator {self.numerator!r} of {self.key} is not a known field",
            )
        if not (math.isfinite(self.factor) and self.factor > 0):
            raise _err(f"指标 {self.key} 的系数必须为正数", f"factor of {self.key} must be positive")
        _check_level_map(self.standards, f"{self.key}.standards")
        _check_level_map(self.cv_thresholds, f"{self.key}.cv_thresholds")


@dataclass(frozen=True, slots=True)
class SchoolRule:
    """Per-school pass rule (standards.md §2.4, §3.2).

    * ``min_met``: at least this many indicators meet their standard (2017: 6 of 7);
    * ``max_failing``: at most this many assessed indicators fail (provincial "≤ k 项不达标");
    * ``floor_ratio``: every unmet indicator is at least this share of its standard (0.85, [U]).

    When both ``min_met`` and ``max_failing`` are set, both must hold.
    """

    min_met: int | None
    max_failing: int | None
    floor_ratio: float | None

    def __post_init__(self) -> None:
        if self.min_met is None and self.max_failing is None:
            raise _err(
                "学校达标规则须设置 min_met 或 max_failing",
                "school rule needs min_met or max_failing",
            )
        for name in ("min_met", "max_failing"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise _err(f"{name} 不能为负数", f"{name} must not be negative")
        if self.floor_ratio is not None and not (0.0 < self.floor_ratio <= 1.0):
            raise _err(
                f"floor_ratio 必须在 (0, 1] 之间,当前为 {self.floor_ratio}",
                f"floor_ratio must be in (0, 1], got {self.floor_ratio}",
            )


@dataclass(frozen=True, slots=True)
class Scope:
    """Which schools enter the evaluation (standards.md §5.1; per-province switches, §10.4)."""

    exclude_private: bool
    exclude_non_county: bool
    teaching_point_mode: TeachingPointMode
    teaching_point_min_students: int | None
    exclude_special: bool
    exclude_vocational: bool

    def __post_init__(self) -> None:
        if self.teaching_point_mode not in TEACHING_POINT_MODES:
            raise _err(
                f"未知教学点处理方式 {self.teaching_point_mode!r}",
                f"unknown teaching_point_mode {self.teaching_point_mode!r}",
            )
        if self.teaching_point_min_students is not None and self.teaching_point_min_students < 0:
            raise _err(
                "teaching_point_min_students 不能为负数",
                "teaching_point_min_students must not be negative",
            )


class _Check(NamedTuple):
    """A precomputed per-level compliance check for one indicator."""

    position: int
    key: str
    standard: float
    floor: float | None
    factor: float
    gap_label: str
    gap_unit: str


@dataclass(frozen=True, slots=True)
class _Plan:
    """Per-profile lookups computed once (the hot loops must not rebuild them per unit)."""

    keys: tuple[str, ...]
    numerators: tuple[str, ...]
    factors: tuple[float, ...]
    # Positions whose numerator is teaching_area when indoor sports rooms are subtracted (§5.3).
    subtract_indoor: tuple[int, ...]
    checks: Mapping[str, tuple[_Check, ...]]


_PROFILE_KEYS: Final = frozenset(
    {
        "name",
        "version",
        "label",
        "indicators",
        "county_rule",
        "composite_thresholds",
        "school_rule",
        "scope",
        "subtract_indoor_sports",
        "section_weights",
    }
)
_INDICATOR_KEYS: Final = frozenset(
    {
        "key",
        "label",
        "numerator",
        "factor",
        "unit",
        "gap_label",
        "gap_unit",
        "standards",
        "cv_thresholds",
    }
)
_SCHOOL_RULE_KEYS: Final = frozenset({"min_met", "max_failing", "floor_ratio"})
_SCOPE_KEYS: Final = frozenset(
    {
        "exclude_private",
        "exclude_non_county",
        "teaching_point_mode",
        "teaching_point_min_students",
        "exclude_special",
        "exclude_vocational",
    }
)


def _mapping(raw: object, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise _err(f"{where} 必须是对象", f"{where} must be a mapping")
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise _err(f"{where} 含未知字段 {unknown}", f"{where} has unknown keys {unknown}")
    return raw


def _required(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise _err(f"{where} 缺少 {key}", f"{where} is missing {key}")
    return raw[key]


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _err(f"{where} 必须是数值", f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise _err(f"{where} 不是有限数值", f"{where} is not a finite number")
    return float(value)


def _optional_number(value: object, where: str) -> float | None:
    return None if value is None else _number(value, where)


def _optional_int(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(f"{where} 必须是整数", f"{where} must be an integer, got {value!r}")
    return int(value)


def _boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise _err(f"{where} 必须是 true/false", f"{where} must be a boolean, got {value!r}")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _err(f"{where} 必须是字符串", f"{where} must be a string, got {value!r}")
    return value


def _level_map(raw: object, where: str) -> dict[str, float | None]:
    """Parse a per-level mapping; levels left out mean None (not set)."""
    if raw is None:
        return dict.fromkeys(LEVELS)
    values = _mapping(raw, where, frozenset(LEVELS))
    return {level: _optional_number(values.get(level), f"{where}.{level}") for level in LEVELS}


def _indicator_from_dict(raw: object, position: int) -> IndicatorRule:
    where = f"indicators[{position}]"
    data = _mapping(raw, where, _INDICATOR_KEYS)
    key = _string(_required(data, "key", where), f"{where}.key")
    catalog = INDICATOR_CATALOG.get(key)
    if catalog is None:
        raise _err(f"未知指标 {key!r}", f"unknown indicator key {key!r}")

    def text(name: str) -> str:
        return _string(data.get(name, catalog[name]), f"{key}.{name}")

    return IndicatorRule(
        key=key,
        label=text("label"),
        numerator=text("numerator"),
        factor=_number(data.get("factor", catalog["factor"]), f"{key}.factor"),
        unit=text("unit"),
        gap_label=text("gap_label"),
        gap_unit=text("gap_unit"),
        standards=_level_map(data.get("standards"), f"{key}.standards"),
        cv_thresholds=_level_map(data.get("cv_thresholds"), f"{key}.cv_thresholds"),
    )


@dataclass(frozen=True, slots=True)
class Profile:
    """A versioned rule profile (data-dictionary "Default rule profiles"; standards.md §10.1).

    Construct it with :meth:`from_dict`; :meth:`to_dict` gives the same JSON-safe data back.
    Constructing it directly validates too (``ProfileError``). Treat the mappings as read-only.
    """

    name: str
    version: int
    label: str
    indicators: tuple[IndicatorRule, ...]
    county_rule: CountyRule
    composite_thresholds: Mapping[str, float | None] | None
    school_rule: SchoolRule
    scope: Scope
    subtract_indoor_sports: bool
    section_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SECTION_WEIGHTS))
    _plan: _Plan = field(init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        # Equal profiles have equal canonical data, so this agrees with ==; it lets a Profile
        # serve as a cache key although its mappings are plain dicts.
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __post_init__(self) -> None:
        if not isinstance(self.indicators, tuple):
            # Callers may pass a list although the annotation says tuple; freeze it.
            object.__setattr__(self, "indicators", tuple(self.indicators))  # type: ignore[unreachable]
        if not self.indicators:
            raise _err("规则至少需要一个指标", "a profile needs at least one indicator")
        keys = [rule.key for rule in self.indicators]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise _err(f"指标重复 {duplicates}", f"duplicate indicators {duplicates}")
        if self.county_rule not in COUNTY_RULES:
            raise _err(
                f"未知县级判定规则 {self.county_rule!r}",
                f"unknown county_rule {self.county_rule!r}",
            )
        if self.composite_thresholds is not None:
            _check_level_map(self.composite_thresholds, "composite_thresholds")
        if self.county_rule == "composite" and (
            self.composite_thresholds is None or all(v is None for v in self.composite_thresholds.values())
        ):
            raise _err(
                "综合差异系数规则必须设置综合差异系数标准",
                "composite county rule needs composite_thresholds",
            )
        if set(self.section_weights) != set(SECTIONS):
            raise _err(
                "section_weights 必须且只能包含 primary、junior、senior",
                "section_weights must have exactly primary, junior and senior",
            )
        for section, weight in self.section_weights.items():
            if not (math.isfinite(weight) and weight > 0):
                raise _err(f"学段权重 {section} 必须为正数", f"section weight {section} must be positive")
        min_met = self.school_rule.min_met
        if min_met is not None and min_met > len(self.indicators):
            raise _err(
                f"min_met={min_met} 超过指标数 {len(self.indicators)}",
                f"min_met={min_met} exceeds the number of indicators {len(self.indicators)}",
            )
        object.__setattr__(self, "_plan", self._build_plan())

    def _build_plan(self) -> _Plan:
        subtract = tuple(
            i
            for i, rule in enumerate(self.indicators)
            if self.subtract_indoor_sports and rule.numerator == "teaching_area"
        )
        floor_ratio = self.school_rule.floor_ratio
        checks: dict[str, tuple[_Check, ...]] = {}
        for level in LEVELS:
            level_checks = []
            for index, rule in enumerate(self.indicators):
                standard = rule.standards.get(level)
                if standard is None:
                    continue
                floor = None if floor_ratio is None else floor_ratio * standard
                level_checks.append(
                    _Check(index, rule.key, standard, floor, rule.factor, rule.gap_label, rule.gap_unit)
                )
            checks[level] = tuple(level_checks)
        return _Plan(
            keys=tuple(rule.key for rule in self.indicators),
            numerators=tuple(rule.numerator for rule in self.indicators),
            factors=tuple(rule.factor for rule in self.indicators),
            subtract_indoor=subtract,
            checks=checks,
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Profile:
        """Build and validate a profile from plain data (e.g. ``defaults.QUALITY_2017``).

        Indicator entries need only ``key`` plus their standards/thresholds: label, numerator,
        factor, units and gap wording default to :data:`INDICATOR_CATALOG`. Optional top-level
        keys: ``version`` (1), ``label`` (= name), ``composite_thresholds`` (None),
        ``subtract_indoor_sports`` (False), ``section_weights`` (1 : 1.1 : 1.32).
        Raises :class:`ProfileError` with a "中文 / English" message.
        """
        data = _mapping(d, "profile", _PROFILE_KEYS)
        name = _string(_required(data, "name", "profile"), "name")
        version = _optional_int(data.get("version", 1), "version")
        raw_indicators = _required(data, "indicators", "profile")
        if isinstance(raw_indicators, (str, bytes)) or not isinstance(raw_indicators, Sequence):
            raise _err("indicators 必须是列表", "indicators must be a list")
        county_rule = _string(_required(data, "county_rule", "profile"), "county_rule")
        if county_rule not in COUNTY_RULES:
            raise _err(f"未知县级判定规则 {county_rule!r}", f"unknown county_rule {county_rule!r}")
        raw_composite = data.get("composite_thresholds")
        composite = None if raw_composite is None else _level_map(raw_composite, "composite_thresholds")
        rule_data = _mapping(_required(data, "school_rule", "profile"), "school_rule", _SCHOOL_RULE_KEYS)
        scope_data = _mapping(_required(data, "scope", "profile"), "scope", _SCOPE_KEYS)
        mode = _string(_required(scope_data, "teaching_point_mode", "scope"), "scope.teaching_point_mode")
        if mode not in TEACHING_POINT_MODES:
            raise _err(f"未知教学点处理方式 {mode!r}", f"unknown teaching_point_mode {mode!r}")
        raw_weights = data.get("section_weights")
        if raw_weights is None:
            weights = dict(DEFAULT_SECTION_WEIGHTS)
        else:
            weight_data = _mapping(raw_weights, "section_weights", frozenset(SECTIONS))
            weights = {
                s: _number(_required(weight_data, s, "section_weights"), f"section_weights.{s}") for s in SECTIONS
            }

        def flag(key: str) -> bool:
            return _boolean(_required(scope_data, key, "scope"), f"scope.{key}")

        return cls(
            name=name,
            version=version if version is not None else 1,
            label=_string(data.get("label", name), "label"),
            indicators=tuple(_indicator_from_dict(item, i) for i, item in enumerate(raw_indicators)),
            county_rule=cast(CountyRule, county_rule),
            composite_thresholds=composite,
            school_rule=SchoolRule(
                min_met=_optional_int(rule_data.get("min_met"), "school_rule.min_met"),
                max_failing=_optional_int(rule_data.get("max_failing"), "school_rule.max_failing"),
                floor_ratio=_optional_number(rule_data.get("floor_ratio"), "school_rule.floor_ratio"),
            ),
            scope=Scope(
                exclude_private=flag("exclude_private"),
                exclude_non_county=flag("exclude_non_county"),
                teaching_point_mode=cast(TeachingPointMode, mode),
                teaching_point_min_students=_optional_int(
                    scope_data.get("teaching_point_min_students"),
                    "scope.teaching_point_min_students",
                ),
                exclude_special=flag("exclude_special"),
                exclude_vocational=flag("exclude_vocational"),
            ),
            subtract_indoor_sports=_boolean(data.get("subtract_indoor_sports", False), "subtract_indoor_sports"),
            section_weights=weights,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data; ``Profile.from_dict(p.to_dict()) == p`` and it is canonical."""
        return {
            "name": self.name,
            "version": self.version,
            "label": self.label,
            "indicators": [
                {
                    "key": rule.key,
                    "label": rule.label,
                    "numerator": rule.numerator,
                    "factor": rule.factor,
                    "unit": rule.unit,
                    "gap_label": rule.gap_label,
                    "gap_unit": rule.gap_unit,
                    "standards": {level: rule.standards.get(level) for level in LEVELS},
                    "cv_thresholds": {level: rule.cv_thresholds.get(level) for level in LEVELS},
                }
                for rule in self.indicators
            ],
            "county_rule": self.county_rule,
            "composite_thresholds": (
                None
                if self.composite_thresholds is None
                else {level: self.composite_thresholds.get(level) for level in LEVELS}
            ),
            "school_rule": {
                "min_met": self.school_rule.min_met,
                "max_failing": self.school_rule.max_failing,
                "floor_ratio": self.school_rule.floor_ratio,
            },
            "scope": {
                "exclude_private": self.scope.exclude_private,
                "exclude_non_county": self.scope.exclude_non_county,
                "teaching_point_mode": self.scope.teaching_point_mode,
                "teaching_point_min_students": self.scope.teaching_point_min_students,
                "exclude_special": self.scope.exclude_special,
                "exclude_vocational": self.scope.exclude_vocational,
            },
            "subtract_indoor_sports": self.subtract_indoor_sports,
            "section_weights": {s: self.section_weights[s] for s in SECTIONS},
        }


# --------------------------------------------------------------------------------------------
# Evaluation units (standards.md §5; data-dictionary "Mixed schools")
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# The student-weighted CV (standards.md §4.1)
# --------------------------------------------------------------------------------------------


class CVTerm(NamedTuple):
    """One unit's row in the 差异系数 calculation (§4.1, §10.2).

    weight = P_i / P; term = weight x (X_i - mean)²; share = term / sum of terms (0 if that is 0).
    A NamedTuple rather than a frozen dataclass: one is built per unit and indicator (1.4 M for
    a whole country) and a tuple is about three times cheaper to create; it is just as immutable.
    """

    school_code: str
    level: str
    students: int
    value: float
    weight: float
    term: float
    share: float


@dataclass(frozen=True, slots=True)
class CVResult:
    """The CV of one indicator at one level; ``total_resource`` is in the numerator's unit."""

    units: int
    total_resource: float
    total_students: int
    mean: float | None
    sd: float | None
    cv: float | None
    terms: tuple[CVTerm, ...]
    note: str | None


_EMPTY_CV: Final = CVResult(0, 0.0, 0, None, None, None, (), "没有参与计算的学校")


# CVTerm rows are built with tuple.__new__ directly: it skips the NamedTuple's generated
# wrapper, which matters at 1.4 million rows.
_new_tuple = tuple.__new__


def _cv(points: Sequence[tuple[str, int, float]], factor: float, level: str) -> CVResult:
    """Weighted CV over pre-filtered ``(code, students > 0, reported total)`` points."""
    n = len(points)
    if n == 0:
        return _EMPTY_CV
    total_students = sum([p for _code, p, _total in points])
    total_resource = math.fsum([t for _code, _p, t in points])
    # The county mean is the aggregate ratio of raw totals, not a mean of rounded values (§4.1).
    mean = factor * total_resource / total_students
    values = [factor * t / p for _code, p, t in points]
    weights = [p / total_students for _code, p, _total in points]
    terms = [w * (x - mean) ** 2 for w, x in zip(weights, values, strict=True)]
    sum_terms = math.fsum(terms)
    sd = math.sqrt(sum_terms)
    note: str | None = None
    cv: float | None
    if mean == 0:
        cv = None
        note = "均值为 0,差异系数无定义"
    elif n == 1:
        cv = 0.0
        note = "只有一所学校"
    else:
        cv = sd / mean
    # Divide rather than multiply by 1/sum: with tiny (subnormal) terms 1/sum overflows to inf.
    shares = [term / sum_terms for term in terms] if sum_terms > 0 else [0.0] * n
    rows: tuple[CVTerm, ...] = tuple(
        [
            _new_tuple(CVTerm, (point[0], level, point[1], x, w, term, share))
            for point, x, w, term, share in zip(points, values, weights, terms, shares, strict=True)
        ]
    )
    return CVResult(n, total_resource, total_students, mean, sd, cv, rows, note)


def weighted_cv(
    points: Sequence[tuple[str, int, float | None]],
    factor: float = 1.0,
    *,
    level: str = "",
) -> CVResult:
    """Student-weighted population CV (差异系数) of one indicator at one level (§4.1).

    ``points`` are ``(school_code, students P_i, raw numerator total T_i)`` -- the raw total in
    the numerator's unit (m², 元, teachers, rooms), *not* the per-student value. Then
    X_i = factor*T_i/P_i, mean = factor*ΣT/ΣP (= Σ P_i*X_i / P), S = sqrt(Σ (P_i/P)(X_i-mean)²),
    CV = S / mean (dimensionless). Sums use math.fsum. Points with P_i <= 0 or T_i None are
    skipped (the caller lists those units as excluded).

    Edge cases never raise: no points -> mean/sd/cv None ("没有参与计算的学校"); mean 0 ->
    cv None ("均值为 0,差异系数无定义"); a single point -> cv 0.0 ("只有一所学校").
    """
    kept = [(code, p, total) for code, p, total in points if p > 0 and total is not None]
    return _cv(kept, factor, level)


# --------------------------------------------------------------------------------------------
# Per-school compliance and gaps (standards.md §3.2, §2.4)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gap:
    """What an unmet indicator lacks, in real units (m², 元, 人, 间, 台, 册).

    ``shortfall`` is rounded up to a whole unit; it is None when the value was not reported.
    """

    standard: float
    value: float | None
    shortfall: float | None
    unit: str
    text: str


@dataclass(frozen=True, slots=True)
class UnitCompliance:
    """Per-school result: ``passes`` is None when the rule assesses nothing."""

    met: int
    assessed: int
    passes: bool | None
    failing: tuple[str, ...]
    below_floor: tuple[str, ...]
    gaps: dict[str, Gap]
    note: str | None


def _gap(check: _Check, value: float | None, total: float | None, students: int) -> Gap:
    if value is None or total is None:
        return Gap(check.standard, None, None, check.gap_unit, f"{check.gap_label}未填报")
    required = check.standard * students / check.factor
    # The epsilon keeps an exact hit such as 12.000000000000002 from rounding up to 13.
    shortfall = math.ceil(required - total - _REL_EPS * max(1.0, abs(required)))
    shortfall = max(shortfall, 0)
    if check.gap_unit == "元":
        text = f"需增加{check.gap_label} ¥{shortfall:,}"
    else:
        text = f"需增加{check.gap_label} {shortfall:,} {check.gap_unit}"
    return Gap(check.standard, value, float(shortfall), check.gap_unit, text)


def _compliance(
    checks: tuple[_Check, ...],
    rule: SchoolRule,
    students: int,
    values: Sequence[float | None],
    numerators: Sequence[float | None],
) -> UnitCompliance:
    assessed = len(checks)
    if assessed == 0:
        return UnitCompliance(0, 0, None, (), (), {}, "本规则未设学校达标标准")
    met = 0
    failing: list[str] = []
    below: list[str] = []
    gaps: dict[str, Gap] = {}
    for check in checks:
        value = values[check.position]
        if value is not None and value >= check.standard:  # exact, full precision
            met += 1
            continue
        failing.append(check.key)
        gaps[check.key] = _gap(check, value, numerators[check.position], students)
        floor = check.floor
        # The floor is a product like 0.85 x 7.5; allow for its binary rounding only.
        if floor is not None and (value is None or value < floor - _REL_EPS * floor):
            below.append(check.key)
    passes = True
    note: str | None = None
    if rule.min_met is not None:
        if met < rule.min_met:
            passes = False
        if assessed < rule.min_met:
            note = f"评估指标 {assessed} 项,少于要求达标的 {rule.min_met} 项"
    if rule.max_failing is not None and assessed - met > rule.max_failing:
        passes = False
    if below:
        passes = False
    return UnitCompliance(met, assessed, passes, tuple(failing), tuple(below), gaps, note)


def unit_compliance(unit: Unit, values: Mapping[str, float | None], profile: Profile) -> UnitCompliance:
    """Check one unit against the per-school standards of its level (§3.2, §2.4).

    An indicator is met when value >= standard (exact comparison at full precision); one with
    no standard at the level is not assessed; a None value is not met ("未填报") and is below
    any floor. ``min_met``: passes when met >= min_met and (with ``floor_ratio``) every unmet
    value >= floor_ratio x standard. ``max_failing``: passes when assessed - met <= max_failing
    and the floor holds. Nothing assessed -> passes None ("本规则未设学校达标标准"); a unit
    without students cannot be judged -> passes None ("在校生为 0,无法评估"). Gaps are in real
    units: required total = standard x students / factor, shortfall = required - actual total,
    rounded up to a whole m², 元, 人, 间, 台 or 册.
    """
    plan = profile._plan
    checks = plan.checks.get(unit.level, ())
    if unit.students <= 0 and checks:
        # Every value is None here; reporting them all as "未填报" would blame the wrong thing.
        return UnitCompliance(0, len(checks), None, (), (), {}, "在校生为 0,无法评估")
    return _compliance(
        checks,
        profile.school_rule,
        unit.students,
        [values.get(key) for key in plan.keys],
        _numerators(unit.totals, plan),
    )


# --------------------------------------------------------------------------------------------
# County evaluation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator's CV at one level and its verdict against the threshold (if tested)."""

    key: str
    cv: CVResult
    threshold: float | None
    passes: bool | None
    near_threshold: bool


@dataclass(frozen=True, slots=True)
class LevelResult:
    """County verdict for one level (primary or junior)."""

    level: str
    units: int
    indicators: dict[str, IndicatorResult]
    composite: float | None
    composite_threshold: float | None
    passes: bool | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnitResult:
    """A unit, its indicator values and (for included units) its compliance."""

    unit: Unit
    values: dict[str, float | None]
    compliance: UnitCompliance | None


def _verdict(value: float | None, threshold: float | None) -> tuple[bool | None, bool]:
    if value is None or threshold is None:
        return None, False
    return value <= threshold, abs(value - threshold) <= NEAR_THRESHOLD


def _gap_dict(gap: Gap, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "standard": gap.standard,
        "value": gap.value,
        "shortfall": gap.shortfall,
        "unit": gap.unit,
    }
    if full:
        out["text"] = gap.text
    return out


@dataclass(frozen=True, slots=True)
class CountyResult:
    """Everything computed for one county and one profile."""

    profile: Profile
    levels: dict[str, LevelResult]
    units: list[UnitResult]

    def summary(self, district: str, year: int) -> dict[str, Any]:
        """Compact JSON-safe result; floats at full precision (rounding is for display, §4.2).

        Shape: ``{"district", "year", "profile", "levels": {level: {"units", "indicators":
        {key: {"mean", "sd", "cv", "threshold", "passes"}}, "composite", "passes"}}, "units":
        [{"school_code", "level", "students", "included", "excluded_reason", "values", "met",
        "passes", "gaps": {key: {"standard", "value", "shortfall", "unit"}}}]}``. Means are in
        the indicator's unit, gaps in real units (m², 元, 人, 间, 台, 册).
        """
        return self._export(district, year, full=False)

    def document(self, district: str, year: int) -> dict[str, Any]:
        """The summary plus everything needed to "show the calculation" (§7.2 table 3, §10.2).

        Adds ``profile_version``, ``profile_label`` and ``rules`` (``Profile.to_dict()``); per
        level ``composite_threshold`` and ``notes``; per indicator ``label``, ``unit``,
        ``total_resource`` (numerator unit), ``total_students``, ``units``, ``note``,
        ``near_threshold`` and ``terms`` (each unit's students, value, weight, term, share); per
        unit ``school_name``, ``school_type``, ``excluded_code``, ``facility_share``,
        ``merged_from``, ``totals``, ``assessed``, ``failing``, ``below_floor``, ``notes`` and
        each gap's ``text``. JSON-safe: ``json.loads(json.dumps(d)) == d``.
        """
        return self._export(district, year, full=True)

    def _export(self, district: str, year: int, *, full: bool) -> dict[str, Any]:
        profile = self.profile
        out: dict[str, Any] = {
            "district": district,
            "year": year,
            "profile": profile.name,
        }
        if full:
            out["profile_version"] = profile.version
            out["profile_label"] = profile.label
            out["rules"] = profile.to_dict()
        labels = {rule.key: rule for rule in profile.indicators}
        levels: dict[str, Any] = {}
        for level, result in self.levels.items():
            indicators: dict[str, Any] = {}
            for key, ind in result.indicators.items():
                cv = ind.cv
                entry: dict[str, Any] = {
                    "mean": cv.mean,
                    "sd": cv.sd,
                    "cv": cv.cv,
                    "threshold": ind.threshold,
                    "passes": ind.passes,
                }
                if full:
                    entry.update(
                        label=labels[key].label,
                        unit=labels[key].unit,
                        total_resource=cv.total_resource,
                        total_students=cv.total_students,
                        units=cv.units,
                        note=cv.note,
                        near_threshold=ind.near_threshold,
                        terms=[
                            {
                                "school_code": t.school_code,
                                "level": t.level,
                                "students": t.students,
                                "value": t.value,
                                "weight": t.weight,
                                "term": t.term,
                                "share": t.share,
                            }
                            for t in cv.terms
                        ],
                    )
                indicators[key] = entry
            level_entry: dict[str, Any] = {
                "units": result.units,
                "indicators": indicators,
                "composite": result.composite,
                "passes": result.passes,
            }
            if full:
                level_entry["composite_threshold"] = result.composite_threshold
                level_entry["notes"] = list(result.notes)
            levels[level] = level_entry
        out["levels"] = levels
        rows: list[dict[str, Any]] = []
        for unit_result in self.units:
            unit = unit_result.unit
            compliance = unit_result.compliance
            row: dict[str, Any] = {
                "school_code": unit.school_code,
                "level": unit.level,
                "students": unit.students,
                "included": unit.included,
                "excluded_reason": unit.excluded_reason,
                "values": dict(unit_result.values),
                "met": None if compliance is None else compliance.met,
                "passes": None if compliance is None else compliance.passes,
                "gaps": ({} if compliance is None else {k: _gap_dict(g, full) for k, g in compliance.gaps.items()}),
            }
            if full:
                row.update(
                    school_name=unit.school_name,
                    school_type=unit.school_type,
                    excluded_code=unit.excluded_code,
                    facility_share=unit.facility_share,
                    merged_from=list(unit.merged_from),
                    totals=dict(unit.totals),
                    assessed=None if compliance is None else compliance.assessed,
                    failing=[] if compliance is None else list(compliance.failing),
                    below_floor=[] if compliance is None else list(compliance.below_floor),
                    notes=([] if compliance is None or compliance.note is None else [compliance.note]),
                )
            rows.append(row)
        out["units"] = rows
        return out


def _level_result(
    level: str,
    profile: Profile,
    rows: list[tuple[str, int, list[float | None]]],
) -> LevelResult:
    notes: list[str] = []
    composite_rule = profile.county_rule == "composite"
    indicators: dict[str, IndicatorResult] = {}
    cvs: list[float | None] = []
    for i, rule in enumerate(profile.indicators):
        points = [(code, p, totals[i]) for code, p, totals in rows if totals[i] is not None]
        cv = _cv(cast(list[tuple[str, int, float]], points), rule.factor, level)
        threshold = rule.cv_thresholds.get(level)
        passes, near = _verdict(cv.cv, threshold)
        indicators[rule.key] = IndicatorResult(rule.key, cv, threshold, passes, near)
        cvs.append(cv.cv)
        missing = len(rows) - len(points)
        if missing:
            notes.append(f"{rule.label}: {missing} 所学校未填报,未计入差异系数")
        if near:
            notes.append(f"{rule.label}差异系数接近标准 {threshold},建议人工复核")

    # Composite = plain mean of the indicator CVs (§2.3, §9.3). Only a profile that has
    # composite thresholds has a composite: the 2017 rule has none (§3.2), so it is null there.
    # A province that publishes an informational composite sets thresholds of null per level.
    defined = [c for c in cvs if c is not None]
    composite = (
        math.fsum(defined) / len(cvs)
        if profile.composite_thresholds is not None and cvs and len(defined) == len(cvs)
        else None
    )
    composite_threshold = profile.composite_thresholds.get(level) if profile.composite_thresholds else None
    verdict: bool | None
    if not rows:
        verdict = None
        notes.append("该学段没有参与计算的学校")
    elif composite_rule:
        if composite_threshold is None:
            verdict = None
            notes.append("本学段未设综合差异系数标准")
        elif composite is None:
            verdict = None
            notes.append("有指标差异系数无定义,无法计算综合差异系数")
        else:
            verdict = composite <= composite_threshold
            if abs(composite - composite_threshold) <= NEAR_THRESHOLD:
                notes.append(f"综合差异系数接近标准 {composite_threshold},建议人工复核")
    else:
        tested = [r for r in indicators.values() if r.threshold is not None]
        undefined = [r.key for r in tested if r.passes is None]
        if not tested:
            verdict = None
            notes.append("本学段未设差异系数标准")
        elif any(r.passes is False for r in tested):
            # A definite failure decides the level even if another CV is undefined.
            verdict = False
        elif undefined:
            verdict = None
            notes.append(f"差异系数无定义,无法判定: {', '.join(undefined)}")
        else:
            verdict = True
    return LevelResult(
        level,
        len(rows),
        indicators,
        composite,
        composite_threshold if composite_rule else None,
        verdict,
        tuple(notes),
    )


def evaluate_county(schools: Sequence[SchoolRecord], profile: Profile) -> CountyResult:
    """Evaluate one county under one profile (§3.2 for 2017, §2.3 for 2012).

    Per level and indicator the CV runs over the included units of that level that have
    students and a reported value. ``each_indicator``: the level passes when every tested CV
    <= its threshold (a definite failure -> False; otherwise an undefined CV -> None).
    ``composite``: composite = mean of the indicator CVs (None if any is None) and the level
    passes when composite <= the composite threshold; single-indicator verdicts are then
    informational. A level with no units -> None with a note. ``near_threshold`` flags
    |cv - threshold| <= 0.0005 for human review (§4.3).
    """
    plan = profile._plan
    keys = plan.keys
    school_rule = profile.school_rule
    checks = plan.checks
    # Per level: (school_code, students, numerator totals) of every included unit.
    rows: dict[str, list[tuple[str, int, list[float | None]]]] = {level: [] for level in LEVELS}
    results: list[UnitResult] = []

    for unit in evaluation_units(schools, profile):
        students = unit.students
        numerators = _numerators(unit.totals, plan)
        ordered = _values(numerators, students, plan)
        values = dict(zip(keys, ordered, strict=True))
        if not unit.included:
            results.append(UnitResult(unit, values, None))
            continue
        level = unit.level
        rows[level].append((unit.school_code, students, numerators))
        compliance = _compliance(checks[level], school_rule, students, ordered, numerators)
        results.append(UnitResult(unit, values, compliance))

    levels = {level: _level_result(level, profile, rows[level]) for level in LEVELS}
    return CountyResult(profile, levels, results)
