"""Pure arithmetic of the 社会认可度 survey (no Django, no database).

Source: ``/work/shared/reference/standards.md`` §3.5 — sample 1.5‰ of 常住人口, parents ≥ 50 %,
area shares; rate ≥ 85 % with a configurable set of positive answers and group weights (no
official formula found [U]). Comparisons are exact (``fractions.Fraction``, see
assessment.formulas.exact); floats are returned for display only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from assessment.formulas import Number, exact


@dataclass(frozen=True, slots=True)
class SamplePlan:
    """How many questionnaires are needed (§3.5): 1.5‰ of 常住人口, parents ≥ 50 %, area shares.

    Every target is rounded up (a minimum): total = ceil(population × permille ÷ 1000),
    parents = ceil(total × parent_share), each area = ceil(total × its share).
    """

    population: int
    permille: float
    total: int
    parents_min: int
    area_targets: Mapping[str, int]


def sample_plan(
    population: int,
    permille: Number = "1.5",
    parent_share: Number = "0.5",
    area_shares: Mapping[str, Number] | None = None,
) -> SamplePlan:
    if population < 0:
        raise ValueError("population")
    total = math.ceil(exact(population) * exact(permille) / 1000)
    parents = math.ceil(total * exact(parent_share))
    areas = {area: math.ceil(total * exact(share)) for area, share in (area_shares or {}).items()}
    return SamplePlan(population, float(exact(permille)), total, parents, areas)


@dataclass(frozen=True, slots=True)
class Fulfilment:
    """Valid responses against the plan; `complete` when every target is reached."""

    total: int
    total_target: int
    parents: int
    parents_min: int
    parent_share: float | None  # of the responses so far
    areas: Mapping[str, tuple[int, int]]  # area -> (responses, target)
    complete: bool

    @property
    def still_needed(self) -> int:
        """Responses still needed overall."""
        return max(self.total_target - self.total, 0)

    @property
    def parents_needed(self) -> int:
        return max(self.parents_min - self.parents, 0)

    def area_needed(self, area: str) -> int:
        """Responses still needed in one area (城区/镇区/乡村) to reach its share of the sample."""
        count, target = self.areas.get(area, (0, 0))
        return max(target - count, 0)


def plan_fulfilment(plan: SamplePlan, total: int, parents: int, by_area: Mapping[str, int]) -> Fulfilment:
    """Fulfilment of a sample plan: total ≥ target, parents ≥ their minimum, each area ≥ its target."""
    areas = {area: (by_area.get(area, 0), target) for area, target in plan.area_targets.items()}
    complete = total >= plan.total and parents >= plan.parents_min and all(n >= t for n, t in areas.values())
    share = parents / total if total else None
    return Fulfilment(total, plan.total, parents, plan.parents_min, share, areas, complete)


def group_tallies(
    counts: Iterable[tuple[str, str, str, int]],
    positive: Iterable[str],
    basis: str = "overall",
    overall_questions: Iterable[str] = ("overall",),
) -> dict[str, tuple[int, int]]:
    """Per respondent group: (positive answers, answers counted) from raw counts.

    ``counts`` are (group, question, option, n) rows, e.g. from the stored answers. ``basis``:
    "overall" counts only the overall question (one answer per valid questionnaire, so the rate is
    positive questionnaires ÷ valid questionnaires); "all" counts every question's answers.
    """
    good = set(positive)
    overall = set(overall_questions)
    out: dict[str, list[int]] = {}
    for group, question, option, n in counts:
        if basis == "overall" and question not in overall:
            continue
        entry = out.setdefault(group, [0, 0])
        entry[1] += n
        if option in good:
            entry[0] += n
    return {g: (p, t) for g, (p, t) in out.items()}


def recognition_rate(
    tallies: Mapping[str, tuple[int, int]], weights: Mapping[str, Number] | None = None
) -> Fraction | None:
    """The recognition rate as an exact fraction (0–1); None without any counted answer.

    No weights: pooled, Σ positive ÷ Σ counted. With weights: Σ w·rate_g ÷ Σ w over the groups
    that have answers; a group without a weight (or weight 0) is left out.
    """
    if not weights:
        positive = sum(p for p, _t in tallies.values())
        counted = sum(t for _p, t in tallies.values())
        return Fraction(positive, counted) if counted else None
    numerator = Fraction(0)
    denominator = Fraction(0)
    for group, (positive, counted) in tallies.items():
        weight = exact(weights.get(group, 0))
        if counted and weight > 0:
            numerator += weight * Fraction(positive, counted)
            denominator += weight
    return numerator / denominator if denominator else None


def recognition_verdict(rate: Fraction | None, threshold: Number = "0.85") -> bool | None:
    """≥ threshold passes (exactly 85 % passes); None without answers."""
    if rate is None:
        return None
    return rate >= exact(threshold)


def survey_verdict(rate: Fraction | None, fulfilment: Fulfilment | None, threshold: Number = "0.85") -> bool | None:
    """The survey's verdict (§3.5): the rate against the threshold, judged only on a sample that
    meets its plan (1.5‰ of 常住人口, parents ≥ their share, each area ≥ its share). A sample
    short anywhere, or without a plan, cannot be judged yet: None, whatever its rate so far."""
    if fulfilment is None or not fulfilment.complete:
        return None
    return recognition_verdict(rate, threshold)
