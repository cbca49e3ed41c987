"""The report fingerprint (reports.selectors.report_identity) changes with every kind of data a
report shows, and only with that: a stored report is reused exactly while it is still true."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.models import ItemEntry, Problem, Survey, SurveyResponse
from core.identity import Part, identity_rows
from indicators.models import BalanceState
from plans.models import (
    AnnualProgress,
    CountyFigure,
    CountyPlan,
    CountyTarget,
    PlanGoal,
    PlanTarget,
    ProgressItem,
    SchoolPlan,
)
from reports import selectors
from schools import services as school_services
from schools.models import AnnualStatistics, District, School
from tests.factories import make_district
from tests.integration.reports.conftest import DEMO_YEAR

PROFILE = "quality-2017"


def county_identity(district: District) -> str:
    return selectors.report_identity(
        kind="county", fmt="pdf", district=district, school=None, year=DEMO_YEAR, profile_name=PROFILE
    )


def school_identity(district: District, school: School) -> str:
    return selectors.report_identity(
        kind="school", fmt="pdf", district=district, school=school, year=DEMO_YEAR, profile_name=PROFILE
    )


def _save(instance: object, **fields: object) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save()  # type: ignore[attr-defined]


def _county_plan(d: District) -> CountyPlan:
    return CountyPlan.objects.filter(district=d).first() or pytest.fail("the demo has a county plan")


CHANGES: dict[str, Callable[[District], object]] = {
    "statistics edited": lambda d: _save(AnnualStatistics.objects.filter(school__district=d, year=DEMO_YEAR).first()),
    "result marked stale": lambda d: BalanceState.objects.update_or_create(
        district=d, year=DEMO_YEAR, defaults={"stale": True}
    ),
    "district renamed": lambda d: _save(d, name=d.name + "(新)"),
    "plan status": lambda d: SchoolPlan.objects.filter(school__district=d).update(status="returned"),
    "plan goal title": lambda d: PlanGoal.objects.filter(plan__school__district=d).update(title="新的目标"),
    "plan target values": lambda d: PlanTarget.objects.filter(goal__plan__school__district=d).update(
        values={"2026": 1}
    ),
    "progress item actual": lambda d: ProgressItem.objects.filter(progress__plan__school__district=d).update(
        actual=Decimal("1.2345")
    ),
    "progress status": lambda d: AnnualProgress.objects.filter(plan__school__district=d).update(status="returned"),
    "county plan inspection date": lambda d: CountyPlan.objects.filter(district=d).update(
        inspection_date=date(2027, 5, 1)
    ),
    "county target indicator": lambda d: CountyTarget.objects.filter(plan=_county_plan(d)).update(indicator="x"),
    "county figure value": lambda d: CountyFigure.objects.filter(district=d).update(value=Decimal("12.5")),
    "assessment entry": lambda d: _save(ItemEntry.objects.filter(district=d, year=DEMO_YEAR).first()),
    "problem": lambda d: _save(Problem.objects.filter(district=d, year=DEMO_YEAR).first()),
    "survey threshold": lambda d: Survey.objects.filter(district=d, year=DEMO_YEAR).update(threshold=Decimal("0.9")),
    "survey response removed": lambda d: SurveyResponse.objects.filter(
        pk=SurveyResponse.objects.filter(survey__district=d).values("pk")[:1]
    ).delete(),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_kind_of_change_a_report_shows_gives_a_new_fingerprint(demo: District, change: str) -> None:
    before = county_identity(demo)
    CHANGES[change](demo)
    demo.refresh_from_db()
    assert county_identity(demo) != before


def test_a_second_change_of_a_school_in_the_same_year_gives_a_new_fingerprint(demo: District) -> None:
    school = School.objects.filter(district=demo).order_by("code").first()
    assert school is not None
    school_services.school_change(school=school, year=DEMO_YEAR, name="更名一次")  # a new version row
    before = county_identity(demo)
    # The version that starts this year is now updated in place: same row count, same ids.
    school_services.school_change(school=school, year=DEMO_YEAR, name="再次更名")
    assert county_identity(demo) != before


def test_the_fingerprint_is_stable_and_ignores_other_districts_and_years(demo: District) -> None:
    before = county_identity(demo)
    assert county_identity(demo) == before
    other = make_district("990001", "别的县")
    CountyFigure.objects.create(district=other, year=DEMO_YEAR, kind="dropout_rate", value=Decimal("1"))
    earlier = AnnualStatistics.objects.filter(school__district=demo, year=DEMO_YEAR - 1).first()
    assert earlier is not None
    _save(earlier)  # the county report shows this year only
    assert county_identity(demo) == before


def test_a_school_report_follows_its_own_school_only(demo: District) -> None:
    schools = list(School.objects.filter(district=demo).order_by("code")[:2])
    mine, neighbour = schools
    before = school_identity(demo, mine)
    _save(AnnualStatistics.objects.get(school=neighbour, year=DEMO_YEAR))
    assert school_identity(demo, mine) == before
    _save(AnnualStatistics.objects.get(school=mine, year=DEMO_YEAR))
    assert school_identity(demo, mine) != before


def test_the_fingerprint_reads_the_data_in_a_few_queries(demo: District) -> None:
    county_identity(demo)  # the template digest is read once per process
    with CaptureQueriesContext(connection) as queries:
        county_identity(demo)
    # One statement for balance, schools and plans, one for the assessment data, and the lookups
    # of the profile and its checklist.
    assert len(queries.captured_queries) <= 5


def test_identity_rows_keep_nulls_apart_from_empty_text_and_sort_rows(demo: District) -> None:
    rows = identity_rows(
        {
            "b_school": Part("schools_school", ["code", "NULL"], "district_id = %s", [demo.pk]),
            "a_empty": Part("schools_school", ["''"], "id = %s", [School.objects.filter(district=demo).first().pk]),
        }
    )
    assert rows[0] == ("a_empty", "", None)
    codes = [str(r[1]) for r in rows[1:]]
    assert codes == sorted(codes) and all(r[0] == "b_school" and r[2] is None for r in rows[1:])
    with pytest.raises(ValueError, match="identifiers"):
        identity_rows({"bad name'": Part("schools_school", ["id"], "1 = 1")})
