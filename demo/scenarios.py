"""The demo county's what-if scenario: two 骨干 teachers of the primary section moved from the
primary school with the most of them per student to the one with the fewest (交流轮岗), built
through the scenarios services like a clerk's."""

from __future__ import annotations

from core.models import Role, User
from scenarios import selectors, services
from scenarios.edits import Edit
from scenarios.models import Scenario
from schools.models import District

NAME = "骨干教师交流轮岗试算"
PROFILE = "quality-2017"


def seed_scenarios(district: District) -> Scenario | None:
    """The demo scenario on the latest year with statistics (once; None without data)."""
    found = Scenario.objects.filter(district=district, name=NAME).first()
    if found is not None:
        return found
    years = sorted(set(district.schools.values_list("statistics__year", flat=True)) - {None})
    if not years or selectors.profile_for(district, PROFILE) is None:
        return None
    year = years[-1]
    inputs = selectors.county_inputs(district, year)

    def per_student(stats: dict[str, float | None]) -> float:
        return (stats.get("backbone_teachers_primary") or 0.0) / (stats.get("students_primary") or 1.0)

    primaries = sorted(
        (r for r in inputs.records if r.school_type == "primary" and r.ownership == "public" and r.county_run),
        key=lambda r: per_student(dict(r.stats)),
    )
    if len(primaries) < 2 or (primaries[-1].stats.get("backbone_teachers_primary") or 0) < 2:
        return None
    clerk = User.objects.filter(role=Role.BUREAU, district=district).order_by("pk").first()
    scenario = services.scenario_create(
        district=district, year=year, profile_name=PROFILE, name=NAME, changes=[], user=clerk
    )
    move = Edit(
        "move",
        primaries[-1].school_code,
        level="primary",
        teacher_kind="backbone_teachers",
        count=2,
        to_school_code=primaries[0].school_code,
    )
    return services.scenario_apply_edit(
        scenario=scenario, edit=move, user=clerk, expected_revision=scenario.revision, inputs=inputs
    )
