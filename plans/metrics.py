"""Metrics a plan target can be linked to, and how their actual value is found.

Two kinds:
- `indicator:<key>` — a rule-profile indicator (quality-2017 or basic-2012 keys); the actual
  value is the school's unit value in the stored balance result (computed once by the engine).
- `stat:<name>` — a figure from the approved annual statistics (largest class, teacher
  qualification rate, enrolment), computed here from the raw counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from indicators.defaults import DEFAULT_PROFILES
from schools.fields import SECTION_LABELS


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    direction: str  # higher | lower
    needs_level: bool


def _indicator_metrics() -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    for profile in DEFAULT_PROFILES.values():
        for ind in profile["indicators"]:
            key = f"indicator:{ind['key']}"
            out.setdefault(key, Metric(key, ind["label"], ind["unit"], "higher", True))
    return out


def _ratio(num: str, den: str, factor: float = 100.0) -> Callable[[Mapping[str, Any], str], float | None]:
    def compute(stats: Mapping[str, Any], level: str) -> float | None:
        n, d = stats.get(f"{num}_{level}"), stats.get(f"{den}_{level}")
        if n is None or not d:
            return None
        return factor * float(n) / float(d)

    return compute


def _field(name: str) -> Callable[[Mapping[str, Any], str], float | None]:
    def compute(stats: Mapping[str, Any], level: str) -> float | None:
        value = stats.get(f"{name}_{level}")
        return None if value is None else float(value)

    return compute


STAT_METRICS: dict[str, tuple[Metric, Callable[[Mapping[str, Any], str], float | None]]] = {
    "stat:max_class_size": (Metric("stat:max_class_size", "最大班额", "人", "lower", True), _field("max_class_size")),
    "stat:qualified_rate": (
        Metric("stat:qualified_rate", "高于规定学历教师比例", "%", "higher", True),
        _ratio("qualified_teachers", "teachers"),
    ),
    "stat:mid_title_rate": (
        Metric("stat:mid_title_rate", "中级及以上职称教师比例", "%", "higher", True),
        _ratio("mid_title_teachers", "teachers"),
    ),
    "stat:students": (Metric("stat:students", "在校生数", "人", "higher", True), _field("students")),
    "stat:student_teacher_ratio": (
        Metric("stat:student_teacher_ratio", "生师比", "", "lower", True),
        _ratio("students", "teachers", factor=1.0),
    ),
}

METRICS: dict[str, Metric] = {**_indicator_metrics(), **{k: m for k, (m, _f) in STAT_METRICS.items()}}


def metric_choices() -> list[tuple[str, str]]:
    return [("", "自定义指标")] + [(m.key, f"{m.label}({m.unit})" if m.unit else m.label) for m in METRICS.values()]


def stat_actual(metric: str, stats: Mapping[str, Any], level: str) -> float | None:
    """The actual value of a `stat:` metric from one school-year's statistics."""
    entry = STAT_METRICS.get(metric)
    return None if entry is None else entry[1](stats, level)


def level_label(level: str) -> str:
    return SECTION_LABELS.get(level, level)
