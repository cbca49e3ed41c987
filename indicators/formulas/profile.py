"""Input records and rule profiles: the standards as validated, versioned data (standards.md §10.1)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, cast

from indicators.formulas.catalogue import (
    COUNTY_RULES,
    DEFAULT_SECTION_WEIGHTS,
    INDICATOR_CATALOG,
    KNOWN_FIELDS,
    LEVELS,
    SECTIONS,
    TEACHING_POINT_MODES,
    CountyRule,
    TeachingPointMode,
    _err,
)


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
