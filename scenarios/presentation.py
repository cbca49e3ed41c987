"""A scenario beside the county's own figures, arranged for the page and the API.

Nothing is computed here that the engine did not: this pairs the two outcomes of one evaluation
(scenarios.selectors.Evaluated) level by level, indicator by indicator and unit by unit, and
words them with indicators.presentation (gaps, notes), so the scenario page shows the balance
page's figures and wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.templatetags.ui import num, verdict
from indicators.presentation import LEVEL_LABELS, reason_text, short_label
from indicators.results import BalanceOutcome, GapFigure, UnitOutcome
from scenarios.edits import field_label
from scenarios.selectors import Evaluated
from schools.fields import STAT_FIELD_BY_KEY

# Two CVs are "the same" below this (the engine is deterministic: equal inputs give equal floats).
SAME = 1e-12


def _moved(before: float | None, after: float | None) -> bool:
    if before is None or after is None:
        return before is not after
    return abs(after - before) > SAME


@dataclass(frozen=True)
class CvRow:
    """One indicator's CV at one level, now and in the scenario."""

    key: str
    label: str  # untranslated (the template translates with `tr`)
    short_label: str
    unit: str
    threshold: float | None
    base: float | None
    scenario: float | None
    base_passes: bool | None
    scenario_passes: bool | None

    @property
    def changed(self) -> bool:
        return _moved(self.base, self.scenario)

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.scenario is None else self.scenario - self.base

    @property
    def delta_text(self) -> str:
        delta = self.delta
        return "" if delta is None or not self.changed else f"{delta:+.3f}"

    @property
    def verdict_changed(self) -> bool:
        return self.base_passes is not self.scenario_passes


@dataclass(frozen=True)
class LevelRow:
    level: str
    label: str
    units: int
    base_passes: bool | None
    scenario_passes: bool | None
    base_composite: float | None
    scenario_composite: float | None
    composite_threshold: float | None
    rows: list[CvRow]


@dataclass(frozen=True)
class UnitRow:
    """A unit (a school, or a section of a mixed school) now and in the scenario."""

    school_code: str
    school_name: str
    level: str
    level_label: str
    touched: bool  # the scenario changes this school's figures
    base: UnitOutcome
    scenario: UnitOutcome
    scenario_gaps: list[str]
    reason: str  # why the unit is out of the calculation in the scenario ("" when in)

    @cached_property
    def changed(self) -> bool:
        b, s = self.base, self.scenario
        return (b.included, b.students, b.met, b.passes, dict(b.values)) != (
            s.included,
            s.students,
            s.met,
            s.passes,
            dict(s.values),
        )


@dataclass(frozen=True)
class ChangeRow:
    school_code: str
    school_name: str
    field: str
    label: str
    unit: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def delta_text(self) -> str:
        delta = self.delta
        return "" if delta is None else f"{delta:+,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Comparison:
    base_passes: bool | None
    scenario_passes: bool | None
    base_schools_passing: int
    scenario_schools_passing: int
    base_units: int
    scenario_units: int
    levels: list[LevelRow]
    units: list[UnitRow]  # changed ones first
    changes: list[ChangeRow]
    stale: list[ChangeRow]  # changes naming schools no longer in the county that year

    @property
    def changed_units(self) -> int:
        return sum(1 for u in self.units if u.changed)


def _levels(base: BalanceOutcome, scenario: BalanceOutcome) -> list[LevelRow]:
    out = []
    for name, level in base.levels.items():
        other = scenario.levels.get(name)
        if other is None or (not level.units and not other.units):
            continue
        rows = []
        for rule in base.rules:
            a, b = level.indicators.get(rule.key), other.indicators.get(rule.key)
            if a is None or b is None:
                continue
            rows.append(
                CvRow(
                    key=rule.key,
                    label=rule.label,
                    short_label=short_label(rule),
                    unit=rule.unit,
                    threshold=a.threshold,
                    base=a.cv,
                    scenario=b.cv,
                    base_passes=a.passes,
                    scenario_passes=b.passes,
                )
            )
        out.append(
            LevelRow(
                level=name,
                label=LEVEL_LABELS.get(name, name),
                units=other.units,
                base_passes=level.passes,
                scenario_passes=other.passes,
                base_composite=level.composite,
                scenario_composite=other.composite,
                composite_threshold=level.composite_threshold,
                rows=rows,
            )
        )
    return out


def _passing(outcome: BalanceOutcome) -> tuple[int, int]:
    included = outcome.included()
    return sum(1 for u in included if u.passes), len(included)


def _change_rows(changes: Any, names: dict[str, str]) -> list[ChangeRow]:
    rows = []
    for c in changes:
        found = STAT_FIELD_BY_KEY.get(c.field)
        rows.append(
            ChangeRow(
                school_code=c.school_code,
                school_name=names.get(c.school_code, ""),
                field=c.field,
                label=field_label(c.field),
                unit=found.unit if found else "",
                before=c.from_value,
                after=c.to_value,
            )
        )
    return rows


class GapWords:
    """`indicators.presentation.gap_text` with its translations looked up once per rule and unit,
    not once per gap: the same words (a test holds the two together) for the hundreds of gaps of
    a county, in the language active when it is made."""

    def __init__(self) -> None:
        self.missing = _("%(label)s未填报")
        self.yuan = _("需增加%(label)s ¥%(amount)s")
        self.other = _("需增加%(label)s %(amount)s %(unit)s")
        self.words: dict[str, str] = {}

    def _word(self, text: str) -> str:
        found = self.words.get(text)
        if found is None:
            found = self.words[text] = _(text) if text else text
        return found

    def __call__(self, gap: GapFigure) -> str:
        label = self._word(gap.rule.gap_label or gap.rule.label)
        if gap.shortfall is None:
            return self.missing % {"label": label}
        amount = f"{int(gap.shortfall):,}"
        if gap.unit == "元":
            return self.yuan % {"label": label, "amount": amount}
        return self.other % {"label": label, "amount": amount, "unit": self._word(gap.unit)}


def compare(evaluated: Evaluated) -> Comparison:
    base, scenario = evaluated.base, evaluated.outcome
    gap_words = GapWords()
    touched = {c.school_code for c in evaluated.changes}
    units = []
    paired = {(u.school_code, u.level): u for u in base.units}
    for unit in scenario.units:
        before = paired.get((unit.school_code, unit.level), unit)
        units.append(
            UnitRow(
                school_code=unit.school_code,
                school_name=unit.school_name,
                level=unit.level,
                level_label=LEVEL_LABELS.get(unit.level, unit.level),
                touched=unit.school_code in touched,
                base=before,
                scenario=unit,
                scenario_gaps=[gap_words(g) for g in unit.gaps.values()] if unit.included else [],
                reason="" if unit.included else reason_text(unit),
            )
        )
    units.sort(key=lambda r: (not r.changed, not r.touched, not r.scenario.included, r.level, r.school_code))
    names = {u.school_code: u.school_name for u in scenario.units}
    base_passing, base_units = _passing(base)
    scenario_passing, scenario_units = _passing(scenario)
    return Comparison(
        base_passes=base.passes,
        scenario_passes=scenario.passes,
        base_schools_passing=base_passing,
        scenario_schools_passing=scenario_passing,
        base_units=base_units,
        scenario_units=scenario_units,
        levels=_levels(base, scenario),
        units=units,
        changes=_change_rows(evaluated.changes, names),
        stale=_change_rows(evaluated.stale, names),
    )


def unit_table_rows(units: list[UnitRow]) -> SafeString:
    """The rows of the page's table of units, written here rather than in the template: a county
    of 200 schools has about 230 units, and the template engine's cost per cell would be most of
    the time a change takes to answer. Every text that is data is escaped (html.escape)."""
    verdicts = {value: str(verdict(value)) for value in (True, False, None)}
    out_cell = f'<span class="sub">{escape(_("不参与计算"))}</span>'
    touched_badge = f'<span class="badge info">{escape(_("有修改"))}</span>'
    reason_prefix = escape(_("不参与计算:"))
    levels = {key: escape(_(label)) for key, label in LEVEL_LABELS.items()}

    def met(unit: UnitOutcome) -> str:
        if not unit.included:
            return "—"
        return f"{'—' if unit.met is None else unit.met}/{'—' if unit.assessed is None else unit.assessed}"

    rows = []
    for u in units:
        b, s = u.base, u.scenario
        classes = " ".join(c for c in ("changed" if u.changed else "", "" if s.included else "sub") if c)
        students = num(b.students) if b.students == s.students else f"{num(b.students)} → {num(s.students)}"
        met_text = met(b) if b.met == s.met else f"{met(b)} → {met(s)}"
        code = escape(u.school_code)
        after = verdicts[s.passes] if s.included else f'<span class="sub">{reason_prefix}{escape(u.reason)}</span>'
        gaps = "".join(f'<div class="gap">{escape(text)}</div>' for text in u.scenario_gaps)
        rows.append(
            f'<tr class="{classes}" id="unit-{code}-{escape(u.level)}"><td>{escape(u.school_name)}'
            f'<div class="unit mono">{code}</div>{touched_badge if u.touched else ""}</td>'
            f'<td>{levels.get(u.level, escape(u.level))}</td><td class="num">{students}</td><td>{met_text}</td>'
            f"<td>{verdicts[b.passes] if b.included else out_cell}</td><td>{after}</td><td>{gaps}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text that is data is escaped above


def to_json(evaluated: Evaluated) -> dict[str, Any]:
    """The API's evaluation: the verdicts, every CV per level now and in the scenario, every unit's
    compliance and gaps now and in the scenario, and the changes with the figures they start from."""
    comparison = compare(evaluated)
    return {
        "passes": {"base": comparison.base_passes, "scenario": comparison.scenario_passes},
        "schools_passing": {
            "base": comparison.base_schools_passing,
            "scenario": comparison.scenario_schools_passing,
            "base_units": comparison.base_units,
            "scenario_units": comparison.scenario_units,
        },
        "changes": [c.to_json() for c in evaluated.changes],
        "not_applied": [c.to_json() for c in evaluated.stale],
        "levels": {
            level.level: {
                "passes": {"base": level.base_passes, "scenario": level.scenario_passes},
                "composite": {"base": level.base_composite, "scenario": level.scenario_composite},
                "composite_threshold": level.composite_threshold,
                "indicators": {
                    row.key: {
                        "threshold": row.threshold,
                        "cv": {"base": row.base, "scenario": row.scenario},
                        "passes": {"base": row.base_passes, "scenario": row.scenario_passes},
                    }
                    for row in level.rows
                },
            }
            for level in comparison.levels
        },
        "units": [
            {
                "school_code": u.school_code,
                "level": u.level,
                "changed": u.changed,
                "base": _unit_json(u.base),
                "scenario": _unit_json(u.scenario),
            }
            for u in comparison.units
        ],
    }


def _unit_json(unit: UnitOutcome) -> dict[str, Any]:
    return {
        "included": unit.included,
        "students": unit.students,
        "values": dict(unit.values),
        "met": unit.met,
        "assessed": unit.assessed,
        "passes": unit.passes,
        "gaps": {
            key: {"standard": g.standard, "value": g.value, "shortfall": g.shortfall, "unit": g.unit}
            for key, g in unit.gaps.items()
        },
    }
