"""An adopted plan read back as typed objects, for the apps that show it (work summaries, a
school's own page).

The adopted plan is stored as the JSON the planner wrote (`PlanResult.to_json()` plus the
schedule); this module is the one place outside the planner's own pages that reads that JSON,
so other apps see `AdoptedSchedule`, never its keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from planner import selectors
from planner.models import AdoptedPlan
from planner.optimise import Action
from schools.models import District


@dataclass(frozen=True)
class AdoptedYear:
    year: int  # the school year the work is done in
    cost_yuan: float
    school_codes: tuple[str, ...]
    compliance_share: float | None  # % of judged units passing after this year's work
    passes: bool  # the county passes after this year's work (the engine's verdict)


@dataclass(frozen=True)
class AdoptedSchedule:
    adopted_at: dt.date
    cost_yuan: float
    passes: bool
    actions: tuple[Action, ...]
    years: tuple[AdoptedYear, ...]

    def year_of(self, year: int) -> AdoptedYear | None:
        return next((y for y in self.years if y.year == year), None)

    def actions_in(self, year: AdoptedYear) -> list[Action]:
        # The schedule files a moved teacher under the school that receives it.
        codes = set(year.school_codes)
        return [a for a in self.actions if a.school_code in codes or (a.to_school_code or "") in codes]


def _action(row: dict[str, Any]) -> Action:
    return Action(
        kind=str(row["kind"]),
        school_code=str(row["school_code"]),
        school_name=str(row["school_name"]),
        level=row.get("level"),
        amount=float(row["amount"]),
        unit=str(row["unit"]),
        cost=float(row["cost_yuan"]),
        to_school_code=row.get("to_school_code"),
        to_school_name=row.get("to_school_name"),
    )


def read(adopted: AdoptedPlan) -> AdoptedSchedule:
    content = adopted.content
    years = (content.get("schedule") or {}).get("years") or []
    return AdoptedSchedule(
        adopted_at=adopted.adopted_at.date(),
        cost_yuan=float(content.get("cost_yuan", 0)),
        passes=bool(content.get("passes")),
        actions=tuple(_action(a) for a in content.get("actions", [])),
        years=tuple(
            AdoptedYear(
                year=int(y["year"]),
                cost_yuan=float(y.get("cost_yuan", 0)),
                school_codes=tuple(y.get("schools", [])),
                compliance_share=y.get("compliance_share"),
                passes=bool(y.get("passes")),
            )
            for y in years
        ),
    )


def adopted_schedule(district: District, year: int, profile_name: str) -> AdoptedSchedule | None:
    """The newest plan adopted for the district-year under the profile, typed; None without one."""
    adopted = selectors.adopted_plan(district, year, profile_name)
    return None if adopted is None else read(adopted)


@dataclass(frozen=True)
class SchoolPart:
    """What the district's newest adopted plan has a school do: its lines, in the year planned."""

    adopted_at: dt.date
    profile_name: str
    start_year: int
    year: int | None  # the school year the school's work is planned in
    actions: tuple[Action, ...]  # done at the school, or teachers it sends or receives
    cost_yuan: float  # of those lines


def school_part(adopted: AdoptedPlan, school_code: str) -> SchoolPart | None:
    """The school's lines in an adopted plan; None when it has none."""
    schedule = read(adopted)
    actions = tuple(a for a in schedule.actions if school_code in (a.school_code, a.to_school_code))
    if not actions:
        return None
    year = next((y.year for y in schedule.years if school_code in y.school_codes), None)
    return SchoolPart(
        adopted_at=schedule.adopted_at,
        profile_name=adopted.profile_name,
        start_year=adopted.start_year,
        year=year,
        actions=actions,
        cost_yuan=sum(a.cost for a in actions),
    )
