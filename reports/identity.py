"""The report's data identity: what a report reads from the balance, schools and plans tables.

One statement (core.identity) over every row or aggregate a report shows. The SQL is built from
the constants below; every value goes through a %s parameter.
"""

# ruff: noqa: S608 - SQL from constants; values are parameters

from __future__ import annotations

from core.identity import Part, digest_rows
from reports.models import ReportKind
from schools.models import District, School


def data_identity(kind: str, district: District, school: School | None, year: int, profile_name: str) -> str:
    """What the report reads from the balance, schools and plans tables, in one statement."""
    if kind == ReportKind.SCHOOL:
        assert school is not None
        scope, scope_params = "id = %s", [school.pk]
        years = "year <= %s"  # the school report shows the school's history
    else:
        scope, scope_params = "district_id = %s", [district.pk]
        years = "year = %s"
    schools = f"school_id IN (SELECT id FROM schools_school WHERE {scope})"
    plans = f"plan_id IN (SELECT id FROM plans_schoolplan WHERE {schools})"
    parts = {
        "result": Part(
            "indicators_balanceresult",
            ["id", "year", "input_fingerprint", "profile_version_id"],
            f"district_id = %s AND profile_name = %s AND is_current = %s AND {years}",
            [district.pk, profile_name, True, year],
        ),
        "state": Part("indicators_balancestate", ["stale"], "district_id = %s AND year = %s", [district.pk, year]),
        "school": Part("schools_school", ["id", "code"], scope, scope_params),
        # Versions are edited in place within a year (schools.services.school_change): whole rows.
        "version": Part("schools_schoolversion", VERSION_COLUMNS, schools, scope_params),
        # Statistics are saved with updated_at (bulk imports set it too); events are append-only.
        "statistics": Part(
            "schools_annualstatistics", ["COUNT(*)", "MAX(updated_at)"], f"{years} AND {schools}", [year, *scope_params]
        ),
        "event": Part(
            "schools_statisticsevent",
            ["COUNT(*)", "MAX(id)"],
            f"statistics_id IN (SELECT id FROM schools_annualstatistics WHERE year = %s AND {schools})",
            [year, *scope_params],
        ),
        "plan": Part(
            "plans_schoolplan",
            ["id", "status", "version", "title", "start_year", "end_year", "updated_at"],
            schools,
            scope_params,
        ),
        "goal": Part("plans_plangoal", ["id", "plan_id", "area_id", "title", "order"], plans, scope_params),
        "area": Part("plans_planarea", ["id", "name"], "1 = 1"),
        "target": Part(
            "plans_plantarget",
            ["id", "goal_id", "name", "metric", "level", "unit", "direction", "values"],
            f"goal_id IN (SELECT id FROM plans_plangoal WHERE {plans})",
            scope_params,
        ),
        "progress": Part(
            "plans_annualprogress", ["id", "plan_id", "year", "status", "revision", "updated_at"], plans, scope_params
        ),
        "item": Part(
            "plans_progressitem",
            ["id", "target_id", "actual", "status"],
            f"progress_id IN (SELECT id FROM plans_annualprogress WHERE {plans})",
            scope_params,
        ),
    }
    if kind == ReportKind.COUNTY:
        parts |= {
            "county_plan": Part(
                "plans_countyplan",
                ["id", "start_year", "end_year", "title", "inspection_date"],
                "district_id = %s",
                [district.pk],
            ),
            "county_target": Part(
                "plans_countytarget",
                ["id", "plan_id", "kind", "profile_name", "indicator", "level", "year", "value"],
                "plan_id IN (SELECT id FROM plans_countyplan WHERE district_id = %s)",
                [district.pk],
            ),
            "county_figure": Part(
                "plans_countyfigure", ["id", "year", "kind", "value"], "district_id = %s", [district.pk]
            ),
        }
    return digest_rows(parts)


VERSION_COLUMNS = [
    "id",
    "school_id",
    "valid_from",
    "name",
    "school_type",
    "parent_id",
    "ownership",
    "county_run",
    "area_type",
    "closed",
]
