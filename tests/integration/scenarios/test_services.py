"""Scenario services: changes applied in memory, evaluated beside the county's own figures, the
approved statistics untouched, every write audited, the revision rule, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from audit.models import AuditEvent
from core import revisions
from core.models import User
from indicators.presentation import gap_text
from indicators.selectors import balance_result_get
from indicators.whatif import Change
from scenarios import selectors, services
from scenarios.edits import Edit
from scenarios.models import Scenario
from scenarios.presentation import GapWords, compare
from schools.models import AnnualStatistics
from schools.services import statistics_reopen
from tests.factories import YEAR, save_statistics
from tests.integration.scenarios.conftest import BACKBONE, POINT, County

pytestmark = pytest.mark.django_db
PROFILE = "quality-2017"
A1, A3, A4, JUNIOR = "1101010001", "1101010003", "1101010004", "1101010002"


def create(county: County, user: User, changes: list[Change] | None = None, name: str = "交流轮岗试算") -> Scenario:
    return services.scenario_create(
        district=county.district, year=YEAR, profile_name=PROFILE, name=name, changes=changes or [], user=user
    )


def edit(scenario: Scenario, user: User, **data: Any) -> Scenario:
    return services.scenario_apply_edit(
        scenario=scenario, edit=Edit.from_data(data), user=user, expected_revision=scenario.revision
    )


def backbone_cv(outcome: Any) -> float:
    cv = outcome.cv("primary", "backbone_teachers_per100")
    assert cv is not None and cv.cv is not None
    return float(cv.cv)


def test_an_empty_scenario_evaluates_to_the_stored_result(county: County, bureau_user: User) -> None:
    scenario = create(county, bureau_user)
    evaluated = selectors.scenario_evaluate(scenario)
    stored = balance_result_get(district=county.district, year=YEAR, profile_name=PROFILE)
    assert stored is not None
    assert evaluated.changes == []
    for outcome in (evaluated.base, evaluated.outcome):
        for level in ("primary", "junior"):
            for key, ind in stored.outcome.levels[level].indicators.items():
                assert outcome.cv(level, key).cv == ind.cv  # type: ignore[union-attr]
        assert [(u.school_code, u.passes, dict(u.values)) for u in outcome.units] == [
            (u.school_code, u.passes, dict(u.values)) for u in stored.outcome.units
        ]


def test_moving_two_backbone_teachers_changes_the_cv_and_not_the_statistics(county: County, bureau_user: User) -> None:
    before = county.statistics()
    scenario = create(county, bureau_user)
    scenario = edit(
        scenario, bureau_user, kind="move", school_code=A1, to_school_code=A3, level="primary",
        teacher_kind="backbone_teachers", count=2,
    )  # fmt: skip
    assert scenario.revision == 2
    evaluated = selectors.scenario_evaluate(scenario)
    moved = {(c.school_code, c.field): (c.from_value, c.to_value) for c in evaluated.changes}
    assert moved[(A1, "backbone_teachers_primary")] == (BACKBONE[A1], BACKBONE[A1] - 2)
    assert moved[(A3, "backbone_teachers_primary")] == (BACKBONE[A3], BACKBONE[A3] + 2)
    assert moved[(A1, "teachers_primary")][1] == moved[(A1, "teachers_primary")][0] - 2  # type: ignore[operator]
    assert moved[(A3, "teachers_primary")][1] == moved[(A3, "teachers_primary")][0] + 2  # type: ignore[operator]
    assert backbone_cv(evaluated.outcome) < backbone_cv(evaluated.base)
    # The base is the stored result's figure; the approved statistics are as they were.
    stored = balance_result_get(district=county.district, year=YEAR, profile_name=PROFILE)
    assert stored is not None and backbone_cv(evaluated.base) == backbone_cv(stored.outcome)
    assert county.statistics() == before
    event = AuditEvent.objects.filter(object_type="scenario", object_id=str(scenario.pk), action="edit:move").get()
    assert event.user == bureau_user and event.district_id == county.district.pk
    assert event.changes[f"{A1} backbone_teachers_primary"] == [BACKBONE[A1], BACKBONE[A1] - 2]


def test_creating_is_audited_and_checks_the_planners_changes(county: County, bureau_user: User) -> None:
    scenario = create(county, bureau_user, [Change(A3, "sports_area", 5000.0, 9000.0)])
    assert scenario.changes == [{"school_code": A3, "field": "sports_area", "to": 9000.0}]
    created = AuditEvent.objects.get(object_type="scenario", object_id=str(scenario.pk), action="create")
    assert created.changes == {f"{A3} sports_area": [5000.0, 9000.0]}
    with pytest.raises(ValidationError):
        create(county, bureau_user, [Change("9999999999", "sports_area", None, 1.0)])
    with pytest.raises(ValidationError):
        create(county, bureau_user, [Change(A3, "sports_area", None, -1.0)])
    with pytest.raises(ValidationError):
        create(county, bureau_user, [Change(A3, "not_a_key", None, 1.0)])
    with pytest.raises(ValidationError):
        create(county, bureau_user, name="  ")
    assert Scenario.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"kind": "facility", "school_code": "9999999999", "field": "sports_area", "amount": 10}, "9999999999"),
        ({"kind": "facility", "school_code": A3, "field": "sports_area", "amount": -5}, "大于 0"),
        ({"kind": "facility", "school_code": A3, "field": "multimedia_rooms", "amount": 1.5}, "整数"),
        ({"kind": "facility", "school_code": A3, "field": "students_primary", "amount": 5}, "只能增加"),
        (
            {"kind": "move", "school_code": A3, "to_school_code": A1, "level": "primary",
             "teacher_kind": "backbone_teachers", "count": 3},
            "只有 2 名",
        ),
        (
            {"kind": "move", "school_code": A1, "to_school_code": JUNIOR, "level": "primary",
             "teacher_kind": "backbone_teachers", "count": 1},
            "同一学段",
        ),
        (
            {"kind": "move", "school_code": A1, "to_school_code": A1, "level": "primary",
             "teacher_kind": "backbone_teachers", "count": 1},
            "同一所学校",
        ),
        ({"kind": "hire", "school_code": JUNIOR, "level": "primary", "teacher_kind": "teachers", "count": 1}, "没有"),
        (
            {"kind": "designate", "school_code": A1, "level": "primary", "teacher_kind": "backbone_teachers",
             "count": 100},
            "超过专任教师数",
        ),
        ({"kind": "close_point", "school_code": A1}, "不是教学点"),
        ({"kind": "explode", "school_code": A1}, "未知"),
    ],
)  # fmt: skip
def test_an_edit_that_cannot_be_is_refused_and_nothing_is_saved(
    county: County, bureau_user: User, data: dict[str, Any], fragment: str
) -> None:
    scenario = create(county, bureau_user)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        edit(scenario, bureau_user, **data)
    assert fragment in " ".join(refused.value.messages)
    scenario.refresh_from_db()
    assert (scenario.revision, scenario.changes, AuditEvent.objects.count()) == (1, [], events)


def test_refusals_are_in_english_in_english_mode(county: County, bureau_user: User) -> None:
    scenario = create(county, bureau_user)
    data = {"kind": "move", "school_code": A3, "to_school_code": A1, "level": "primary",
            "teacher_kind": "backbone_teachers", "count": 3}  # fmt: skip
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        edit(scenario, bureau_user, **data)
    text = " ".join(refused.value.messages)
    assert "only 2" in text and "move" in text, text


def test_each_kind_of_edit(county: County, bureau_user: User) -> None:
    scenario = create(county, bureau_user)
    scenario = edit(scenario, bureau_user, kind="facility", school_code=A3, field="sports_area", amount="800")
    scenario = edit(scenario, bureau_user, kind="facility", school_code=A3, field="equipment_value", amount="100000")
    scenario = edit(scenario, bureau_user, kind="facility", school_code=A3, field="multimedia_rooms", amount="2")
    scenario = edit(
        scenario, bureau_user, kind="hire", school_code=A3, level="primary", teacher_kind="pe_art_teachers", count=3
    )
    scenario = edit(
        scenario, bureau_user, kind="designate", school_code=A3, level="primary",
        teacher_kind="backbone_teachers", count=1,
    )  # fmt: skip
    scenario = edit(scenario, bureau_user, kind="merge_point", school_code=POINT)
    figures = {(c.school_code, c.field): c for c in selectors.scenario_evaluate(scenario).changes}
    assert figures[(A3, "sports_area")].to_value == 5800
    assert figures[(A3, "equipment_value")].to_value == 1_600_000
    assert figures[(A3, "multimedia_rooms")].to_value == 17
    assert figures[(A3, "pe_art_teachers_primary")].to_value == 9
    assert figures[(A3, "teachers_primary")].to_value == 43
    assert figures[(A3, "backbone_teachers_primary")].to_value == BACKBONE[A3] + 1
    # The teaching point's students and teachers and its facilities went to its parent school.
    assert figures[(A1, "students_primary")].to_value == 660
    assert figures[(POINT, "students_primary")].to_value == 0
    assert figures[(A1, "sports_area")].to_value == 5600
    evaluated = selectors.scenario_evaluate(scenario)
    assert [u.included for u in evaluated.outcome.units_of(POINT)] == [False]
    # Undo brings a figure back to the county's own.
    scenario = edit(scenario, bureau_user, kind="undo", school_code=A3, field="sports_area")
    assert (A3, "sports_area") not in {(c.school_code, c.field) for c in selectors.scenario_evaluate(scenario).changes}
    assert scenario.revision == 8
    assert AuditEvent.objects.filter(object_type="scenario", object_id=str(scenario.pk)).count() == 8


def test_closing_a_point_leaves_its_facilities_behind(county: County, bureau_user: User) -> None:
    scenario = edit(create(county, bureau_user), bureau_user, kind="close_point", school_code=POINT)
    figures = {(c.school_code, c.field): c.to_value for c in selectors.scenario_evaluate(scenario).changes}
    assert figures[(A1, "students_primary")] == 660
    assert (A1, "sports_area") not in figures


def test_an_edit_names_the_revision_it_started_from(county: County, bureau_user: User) -> None:
    scenario = create(county, bureau_user)
    data = Edit.from_data({"kind": "facility", "school_code": A3, "field": "sports_area", "amount": 10})
    with pytest.raises(revisions.RevisionRequired):
        services.scenario_apply_edit(scenario=scenario, edit=data, user=bureau_user, expected_revision=None)
    services.scenario_apply_edit(scenario=scenario, edit=data, user=bureau_user, expected_revision=1)
    with pytest.raises(revisions.StaleRevision):
        services.scenario_apply_edit(scenario=scenario, edit=data, user=bureau_user, expected_revision=1)
    scenario.refresh_from_db()
    assert scenario.revision == 2 and scenario.changes[0]["to"] == 5010


def test_deleting_is_audited(county: County, bureau_user: User) -> None:
    scenario = create(county, bureau_user)
    services.scenario_delete(scenario=scenario, user=bureau_user, expected_revision=1)
    assert not Scenario.objects.exists()
    assert AuditEvent.objects.filter(object_type="scenario", action="delete").count() == 1


def test_the_base_follows_the_countys_data(
    county: County, bureau_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    """The county as it is is kept between changes (selectors._BASES), never past a data change."""
    scenario = edit(create(county, bureau_user), bureau_user, kind="facility", school_code=A3, field="books", amount=1)
    first = selectors.scenario_evaluate(scenario)
    again = selectors.scenario_evaluate(scenario)
    assert again.base is first.base  # the same county: kept
    stats = AnnualStatistics.objects.get(school=county.schools[A3], year=YEAR)
    with django_capture_on_commit_callbacks(execute=True):  # the recompute runs (Celery is eager here)
        statistics_reopen(stats=stats, user=bureau_user, reason="骨干教师数更正")
        save_statistics(county.schools[A3], backbone_teachers_primary=10)  # the school's figure is corrected
    after = selectors.scenario_evaluate(scenario)
    stored = balance_result_get(district=county.district, year=YEAR, profile_name=PROFILE)
    assert stored is not None
    assert backbone_cv(after.base) == backbone_cv(stored.outcome) != backbone_cv(first.base)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_gap_words_are_the_balance_pages(county: County, bureau_user: User, language: str) -> None:
    scenario = edit(create(county, bureau_user), bureau_user, kind="set", school_code=A3, field="books", amount=0)
    evaluated = selectors.scenario_evaluate(scenario)
    gaps = [g for _unit, g in evaluated.outcome.gaps()] + [g for _unit, g in evaluated.base.gaps()]
    assert gaps
    with translation.override(language):
        words = GapWords()
        assert [words(g) for g in gaps] == [gap_text(g) for g in gaps]


def test_a_scenario_under_the_2012_rules_shows_the_composite(county: County, bureau_user: User) -> None:
    scenario = services.scenario_create(
        district=county.district, year=YEAR, profile_name="basic-2012", name="图书试算", changes=[], user=bureau_user
    )
    scenario = edit(scenario, bureau_user, kind="facility", school_code=A3, field="books", amount=30000)
    evaluated = selectors.scenario_evaluate(scenario)
    stored = balance_result_get(district=county.district, year=YEAR, profile_name="basic-2012")
    assert stored is not None
    base, changed = evaluated.base.levels["primary"], evaluated.outcome.levels["primary"]
    assert base.composite == stored.outcome.levels["primary"].composite
    assert base.composite is not None and changed.composite is not None and changed.composite > base.composite
    rows = {level.level: level for level in compare(evaluated).levels}
    assert rows["primary"].base_composite == base.composite
    assert [r.key for r in rows["primary"].rows if r.changed] == ["books_per_student"]


def test_the_demo_scenario_moves_two_backbone_teachers_once(county: County, bureau_user: User) -> None:
    from demo.scenarios import seed_scenarios

    scenario = seed_scenarios(county.district)
    assert scenario is not None and scenario.revision == 2
    moved = {(c.school_code, c.field): c.to_value for c in selectors.scenario_evaluate(scenario).changes}
    assert moved[(A1, "backbone_teachers_primary")] == BACKBONE[A1] - 2
    assert moved[(A3, "backbone_teachers_primary")] == BACKBONE[A3] + 2
    assert seed_scenarios(county.district) == scenario and Scenario.objects.count() == 1
