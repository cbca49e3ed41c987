"""Stored balance results: the one typed contract every app reads.

A recompute stores, per district, year and profile version, one *outcome*: every level's CVs and
verdict with each unit's part in them, and every unit's values, compliance and gaps, with the
profile it was computed under and the identity of the data it came from. Pages, the API, the
spreadsheets, the PDF, the problem list and the planner read it only through `BalanceOutcome`
and its parts below (never by string keys), and derive problems only through
`BalanceOutcome.findings()`.

How it is stored is indicators.stored (encode, decode). Pure: no Django, no database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal

from indicators import formulas
from indicators.formulas import Note, Profile

APPROVED: Final = "approved"  # the statistics workflow status of approved data


# --- the contract ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which statistics of a school a result was computed from."""

    revision: int
    status: str


@dataclass(frozen=True, slots=True)
class Term:
    """One unit's row in a CV (§4.1): weight = P_i/P, term = weight·(X_i − mean)², share = term/Σ."""

    school_code: str
    school_name: str
    level: str
    students: int
    value: float
    weight: float
    term: float
    share: float


@dataclass(frozen=True)
class IndicatorCV:
    """One indicator's CV at one level and its verdict (None: not tested or undefined).

    ``terms`` (each unit's part) are made when first read: most pages show only the CV.
    """

    rule: formulas.IndicatorRule
    level: str
    mean: float | None
    sd: float | None
    cv: float | None
    threshold: float | None
    passes: bool | None
    near_threshold: bool
    total_resource: float  # in the numerator's unit (m², 元, teachers, rooms)
    total_students: int
    units: int
    note: Note | None
    points: TermColumns = field(repr=False)

    @property
    def key(self) -> str:
        return self.rule.key

    @cached_property
    def terms(self) -> tuple[Term, ...]:
        units, key = self.points.units, self.rule.key
        return tuple(
            Term(
                units[row].school_code,
                units[row].school_name,
                self.level,
                units[row].students,
                float(units[row].values[key] or 0.0),
                weight,
                term,
                share,
            )
            for row, weight, term, share in zip(
                self.points.rows, self.points.weight, self.points.term, self.points.share, strict=True
            )
        )


@dataclass(frozen=True)
class TermColumns:
    """A CV's terms as stored: the units' positions and their weight, term and share."""

    units: Sequence[UnitOutcome] = field(repr=False, compare=False)
    rows: Sequence[int]
    weight: Sequence[float]
    term: Sequence[float]
    share: Sequence[float]


@dataclass(frozen=True, slots=True)
class LevelOutcome:
    """The county's verdict at one level; ``indicators`` in the profile's order."""

    level: str
    units: int
    indicators: Mapping[str, IndicatorCV]
    composite: float | None
    composite_threshold: float | None
    passes: bool | None
    notes: tuple[Note, ...]


@dataclass(frozen=True, slots=True)
class GapFigure:
    """What a unit lacks of one standard, in real units; ``shortfall`` None = not reported."""

    rule: formulas.IndicatorRule
    standard: float
    value: float | None
    shortfall: float | None
    below_floor: bool

    @property
    def key(self) -> str:
        return self.rule.key

    @property
    def unit(self) -> str:
        return self.rule.gap_unit

    @property
    def text(self) -> str:
        """In Chinese, as the engine words it (indicators.presentation words it in any language)."""
        return formulas.Gap(self.standard, self.value, self.shortfall, self.rule.gap_unit, self.rule.gap_label).text


@dataclass(frozen=True, slots=True)
class UnitOutcome:
    """An evaluation unit (a school, or a section of a mixed school) and its compliance.

    ``numerators`` and ``values`` by indicator key (None: not reported, or no students); ``met``,
    ``assessed`` and ``passes`` are None for units left out of the calculation; ``gaps`` has one
    entry per unmet indicator, in the profile's order.
    """

    school_code: str
    school_name: str
    school_type: str
    level: str
    students: int
    included: bool
    excluded_code: str | None
    exclusion: Note | None
    facility_share: float
    merged_from: tuple[str, ...]
    numerators: Mapping[str, float | None]
    values: Mapping[str, float | None]
    met: int | None
    assessed: int | None
    passes: bool | None
    gaps: Mapping[str, GapFigure]
    note: Note | None
    approved: bool

    @property
    def failing(self) -> tuple[str, ...]:
        return tuple(self.gaps)

    @property
    def below_floor(self) -> tuple[str, ...]:
        return tuple(key for key, gap in self.gaps.items() if gap.below_floor)

    @property
    def excluded_reason(self) -> str | None:
        return None if self.exclusion is None else self.exclusion.text


# Findings: what fails, derived once from an outcome, in a fixed order (see `findings`).


@dataclass(frozen=True, slots=True)
class CvAbove:
    """A CV above its threshold; ``below_mean`` are the units under the county mean, the ones
    that add most to the variance first."""

    kind: Literal["cv_above"]
    indicator: IndicatorCV
    below_mean: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class CompositeAbove:
    """A 2012 composite CV above its threshold; ``worst`` the indicators with the highest CVs."""

    kind: Literal["composite_above"]
    level: LevelOutcome
    worst: tuple[IndicatorCV, ...]


@dataclass(frozen=True, slots=True)
class UnitShort:
    """An included unit below one standard."""

    kind: Literal["unit_short"]
    unit: UnitOutcome
    gap: GapFigure


@dataclass(frozen=True, slots=True)
class UnitFails:
    """An included unit failing the school-level rule."""

    kind: Literal["unit_fails"]
    unit: UnitOutcome


@dataclass(frozen=True, slots=True)
class CvNear:
    """A CV that passes (or is not judged) but lies within NEAR_THRESHOLD of its threshold."""

    kind: Literal["cv_near"]
    indicator: IndicatorCV


Finding = CvAbove | CompositeAbove | UnitShort | UnitFails | CvNear


@dataclass(frozen=True)
class BalanceOutcome:
    """The evaluation of one district and year under one profile version, as stored."""

    district: str
    year: int
    profile: Profile
    fingerprint: str
    engine_version: str
    schools: Mapping[str, Provenance]
    levels: Mapping[str, LevelOutcome]
    units: tuple[UnitOutcome, ...]
    _by_school: dict[str, list[UnitOutcome]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def profile_name(self) -> str:
        return self.profile.name

    @property
    def rules(self) -> tuple[formulas.IndicatorRule, ...]:
        return self.profile.indicators

    @property
    def schools_total(self) -> int:
        return len(self.schools)

    @property
    def schools_approved(self) -> int:
        return sum(1 for p in self.schools.values() if p.status == APPROVED)

    def level(self, level: str) -> LevelOutcome | None:
        return self.levels.get(level)

    def cv(self, level: str, key: str) -> IndicatorCV | None:
        found = self.levels.get(level)
        return None if found is None else found.indicators.get(key)

    def units_of(self, school_code: str) -> list[UnitOutcome]:
        """A school's units (a mixed school has a primary and a junior unit)."""
        if not self._by_school:
            for unit in self.units:
                self._by_school.setdefault(unit.school_code, []).append(unit)
        return self._by_school.get(school_code, [])

    def included(self, level: str | None = None) -> list[UnitOutcome]:
        return [u for u in self.units if u.included and (level is None or u.level == level)]

    def gaps(self) -> Iterator[tuple[UnitOutcome, GapFigure]]:
        """Every unmet standard of every included unit, in unit order."""
        for unit in self.units:
            if unit.included:
                for gap in unit.gaps.values():
                    yield unit, gap

    @property
    def passes(self) -> bool | None:
        """The county passes when every level with units passes; None when one can't be judged."""
        verdicts = [lvl.passes for lvl in self.levels.values() if lvl.units]
        if not verdicts:
            return None
        if any(v is False for v in verdicts):
            return False
        if any(v is None for v in verdicts):
            return None
        return True

    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        """What fails, once for every reader (the PDF's 问题清单, the problem list, the planner).

        In this order: CVs above their threshold (per level, in the profile's order), failing
        composites, every unmet standard of every included unit, units failing the school rule,
        CVs near their threshold that do not fail.
        """
        out: list[Finding] = []
        for level in self.levels.values():
            for indicator in level.indicators.values():
                if indicator.passes is False and indicator.mean is not None:
                    mean = indicator.mean
                    below = sorted((t for t in indicator.terms if t.value < mean), key=lambda t: -t.share)
                    out.append(CvAbove("cv_above", indicator, tuple(below)))
        for level in self.levels.values():
            if level.composite_threshold is not None and level.passes is False and level.composite is not None:
                ranked = sorted(
                    (i for i in level.indicators.values() if i.cv is not None), key=lambda i: -(i.cv or 0.0)
                )
                out.append(CompositeAbove("composite_above", level, tuple(ranked[:3])))
        out.extend(UnitShort("unit_short", unit, gap) for unit, gap in self.gaps())
        out.extend(UnitFails("unit_fails", u) for u in self.units if u.included and u.passes is False)
        for level in self.levels.values():
            for indicator in level.indicators.values():
                if indicator.near_threshold and indicator.passes is not False:
                    out.append(CvNear("cv_near", indicator))
        return tuple(out)


# --- JSON for the API and the command line ----------------------------------------------------


def to_json(outcome: BalanceOutcome, *, full: bool = False) -> dict[str, Any]:
    """The outcome as plain JSON with the data dictionary's keys; floats at full precision.

    Summary (`balance_summary --json`, the API's results): ``{"district", "year", "profile",
    "levels": {level: {"units", "indicators": {key: {"mean", "sd", "cv", "threshold",
    "passes"}}, "composite", "passes"}}, "units": [{"school_code", "level", "students",
    "included", "excluded_reason", "values", "met", "passes", "gaps": {key: {"standard",
    "value", "shortfall", "unit"}}}]}``. ``full`` adds what shows the calculation: the rules,
    per level the composite threshold and notes, per indicator its label, unit, totals, note,
    near-threshold flag and terms, per unit its name, type, exclusion code, facility share,
    merged teaching points, numerators, assessed count, failing and below-floor keys, notes, gap
    texts and whether its data is approved, and the inputs' identity. Notes are Chinese texts.
    """
    out: dict[str, Any] = {"district": outcome.district, "year": outcome.year, "profile": outcome.profile_name}
    if full:
        out["profile_version"] = outcome.profile.version
        out["profile_label"] = outcome.profile.label
        out["rules"] = outcome.profile.to_dict()
    levels: dict[str, Any] = {}
    for name, level in outcome.levels.items():
        indicators: dict[str, Any] = {}
        for key, ind in level.indicators.items():
            entry: dict[str, Any] = {
                "mean": ind.mean,
                "sd": ind.sd,
                "cv": ind.cv,
                "threshold": ind.threshold,
                "passes": ind.passes,
            }
            if full:
                entry.update(
                    label=ind.rule.label,
                    unit=ind.rule.unit,
                    total_resource=ind.total_resource,
                    total_students=ind.total_students,
                    units=ind.units,
                    note=None if ind.note is None else ind.note.text,
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
                        for t in ind.terms
                    ],
                )
            indicators[key] = entry
        level_entry: dict[str, Any] = {
            "units": level.units,
            "indicators": indicators,
            "composite": level.composite,
            "passes": level.passes,
        }
        if full:
            level_entry["composite_threshold"] = level.composite_threshold
            level_entry["notes"] = [n.text for n in level.notes]
        levels[name] = level_entry
    out["levels"] = levels
    units = []
    for unit in outcome.units:
        gaps: dict[str, Any] = {}
        for key, gap in unit.gaps.items():
            gaps[key] = {"standard": gap.standard, "value": gap.value, "shortfall": gap.shortfall, "unit": gap.unit}
            if full:
                gaps[key]["text"] = gap.text
        row: dict[str, Any] = {
            "school_code": unit.school_code,
            "level": unit.level,
            "students": unit.students,
            "included": unit.included,
            "excluded_reason": unit.excluded_reason,
            "values": dict(unit.values),
            "met": unit.met,
            "passes": unit.passes,
            "gaps": gaps,
        }
        if full:
            row.update(
                school_name=unit.school_name,
                school_type=unit.school_type,
                excluded_code=unit.excluded_code,
                facility_share=unit.facility_share,
                merged_from=list(unit.merged_from),
                numerators=dict(unit.numerators),
                assessed=unit.assessed,
                failing=list(unit.failing),
                below_floor=list(unit.below_floor),
                notes=[] if unit.note is None else [unit.note.text],
                approved=unit.approved,
            )
        units.append(row)
    out["units"] = units
    if full:
        out["inputs"] = {
            "fingerprint": outcome.fingerprint,
            "engine_version": outcome.engine_version,
            "schools": {code: {"revision": p.revision, "status": p.status} for code, p in outcome.schools.items()},
            "schools_total": outcome.schools_total,
            "schools_approved": outcome.schools_approved,
        }
    return out
