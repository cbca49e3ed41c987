"""The report's data identity: what a report reads from the balance, schools and plans tables.

Two ways to the same answer to "has anything this report shows changed?":

* `stored_identity` (PostgreSQL): the versions the database triggers keep for every slice of
  those tables (TRACKED, core.identity.Tracked; installed by migration 0002): one small read.
* `data_identity` (any database; SQLite in development): one statement (core.identity) over every
  row or aggregate a report shows, hashed.

The SQL is built from the constants below; every value goes through a %s parameter.
"""

# ruff: noqa: S608 - SQL from constants; values are parameters

from __future__ import annotations

from core.identity import Part, Tracked, digest_rows, stored_versions
from reports.models import InputsVersion, ReportKind
from schools.models import District, School

VERSIONS = InputsVersion._meta.db_table
# Joins from a changed row (alias r) to the school and district it belongs to.
_SCHOOL = "JOIN schools_school s ON s.id = r.school_id"
_PLAN = "JOIN plans_schoolplan p ON p.id = r.plan_id JOIN schools_school s ON s.id = p.school_id"

# Every table data_identity reads, and the slice (district, school, year) each row belongs to.
TRACKED = (
    Tracked("indicators_balanceresult", "result", "r.district_id", year="r.year"),
    # A recompute also stamps its timestamps on the state row; only `stale` is shown.
    Tracked("indicators_balancestate", "state", "r.district_id", year="r.year", columns=["stale"]),
    Tracked("schools_school", "school", "r.district_id", school="r.id"),
    Tracked("schools_schoolversion", "version", "s.district_id", school="r.school_id", joins=_SCHOOL),
    Tracked("schools_annualstatistics", "statistics", "s.district_id", "r.school_id", "r.year", _SCHOOL),
    Tracked(
        "schools_statisticsevent",
        "event",
        "s.district_id",
        "a.school_id",
        "a.year",
        "JOIN schools_annualstatistics a ON a.id = r.statistics_id JOIN schools_school s ON s.id = a.school_id",
    ),
    Tracked("plans_schoolplan", "plan", "s.district_id", school="r.school_id", joins=_SCHOOL),
    Tracked("plans_plangoal", "goal", "s.district_id", school="p.school_id", joins=_PLAN),
    Tracked(
        "plans_plantarget",
        "target",
        "s.district_id",
        school="p.school_id",
        joins="JOIN plans_plangoal g ON g.id = r.goal_id JOIN plans_schoolplan p ON p.id = g.plan_id"
        " JOIN schools_school s ON s.id = p.school_id",
    ),
    Tracked("plans_annualprogress", "progress", "s.district_id", school="p.school_id", joins=_PLAN),
    Tracked(
        "plans_progressitem",
        "item",
        "s.district_id",
        school="p.school_id",
        joins="JOIN plans_annualprogress ap ON ap.id = r.progress_id JOIN plans_schoolplan p ON p.id = ap.plan_id"
        " JOIN schools_school s ON s.id = p.school_id",
    ),
    Tracked("plans_planarea", "area", "0"),
    Tracked("plans_countyplan", "county_plan", "r.district_id"),
    Tracked(
        "plans_countytarget", "county_target", "cp.district_id", joins="JOIN plans_countyplan cp ON cp.id = r.plan_id"
    ),
    Tracked("plans_countyfigure", "county_figure", "r.district_id"),
    # The assessment data the county report prints (what assessment.selectors.report_identity
    # covers): entries and their evidence, problems, the survey and its responses, and the
    # checklist in force, which follows the district's profiles and the checklist versions.
    Tracked("assessment_itementry", "entry", "r.district_id", year="r.year"),
    Tracked(
        "assessment_itemevidence",
        "evidence",
        "e.district_id",
        year="e.year",
        joins="JOIN assessment_itementry e ON e.id = r.entry_id",
    ),
    Tracked("assessment_problem", "problem", "r.district_id", year="r.year"),
    Tracked("assessment_survey", "survey", "r.district_id", year="r.year"),
    Tracked(
        "assessment_surveyresponse",
        "response",
        "sv.district_id",
        year="sv.year",
        joins="JOIN assessment_survey sv ON sv.id = r.survey_id",
    ),
    Tracked("assessment_checklistversion", "checklist", "0"),
    Tracked("indicators_ruleprofile", "profile", "0"),
    Tracked("indicators_ruleprofileversion", "profile_version", "0"),
    Tracked("indicators_ruleprofile_districts", "district_profile", "r.district_id"),
)


def stored_identity(kind: str, district: District, school: School | None, year: int) -> str:
    """The versions of every slice the report reads (PostgreSQL, kept by the TRACKED triggers).

    A county report reads its district's rows of every school for its year and of no year, and
    the shared rows; a school report its own school's rows up to its year, the district's balance
    results and state up to its year, and the shared rows.
    """
    if kind == ReportKind.SCHOOL:
        assert school is not None
        where = (
            "district_id = 0 OR (district_id = %s AND year <= %s"
            " AND (school_id = %s OR (school_id = 0 AND part IN ('result', 'state'))))"
        )
        return stored_versions(VERSIONS, where, [district.pk, year, school.pk])
    return stored_versions(VERSIONS, "district_id = 0 OR (district_id = %s AND year IN (0, %s))", [district.pk, year])


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
