"""Integration tests for schools.services on PostgreSQL: registry history, all-or-nothing saves,
the submission workflow, the optimistic lock, the event log and the balance staleness signal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import User
from indicators.models import BalanceResult, BalanceState
from schools import services
from schools.models import AnnualStatistics, District, School, SchoolVersion, StatisticsEvent, Status
from schools.selectors import district_school_rows, school_version
from tests.factories import YEAR, make_school, primary_values, save_statistics

pytestmark = pytest.mark.django_db


def stats_of(school: School, year: int = YEAR) -> AnnualStatistics:
    return AnnualStatistics.objects.get(school=school, year=year)


def version_in(school: School, year: int) -> SchoolVersion:
    version = school_version(school, year)
    assert version is not None
    return version


def balance_state(district: District, year: int = YEAR) -> BalanceState:
    return BalanceState.objects.get(district=district, year=year)


def actions(stats: AnnualStatistics) -> list[str]:
    return list(stats.events.order_by("id").values_list("action", flat=True))


# --- registry ---------------------------------------------------------------------------------


def test_creates_a_school_with_its_profile_from_the_given_year(district_a: District) -> None:
    school = make_school(district_a, "1101010009", "甲县新区小学", "primary", year=2024, area_type="town")
    (version,) = school.versions.all()
    assert (version.valid_from, version.name, version.school_type, version.area_type) == (
        2024,
        "甲县新区小学",
        "primary",
        "town",
    )
    assert school_version(school, 2023) is None
    assert school_version(school, 2030) == version


def test_rejects_a_school_code_that_is_already_registered(school_a1: School, district_b: District) -> None:
    with pytest.raises(ValidationError) as error:
        make_school(district_b, school_a1.code, "重复学校")
    assert "已存在" in str(error.value)
    assert School.objects.filter(code=school_a1.code).count() == 1


@pytest.mark.parametrize("code", ["110101001", "11010100011", "11010100ab"])
def test_rejects_a_school_code_that_is_not_ten_digits(district_a: District, code: str) -> None:
    with pytest.raises(ValidationError):
        make_school(district_a, code, "错误代码小学")
    assert not School.objects.filter(code=code).exists()


def test_rejects_an_unknown_school_type(district_a: District) -> None:
    with pytest.raises(ValidationError):
        make_school(district_a, "1101010009", "幼儿园", "kindergarten")
    assert not School.objects.filter(code="1101010009").exists()


def test_teaching_point_needs_a_parent_school(district_a: District) -> None:
    with pytest.raises(ValidationError) as error:
        make_school(district_a, "1101010009", "后沟教学点", "teaching_point")
    assert "教学点必须填写所属学校" in str(error.value)
    assert not School.objects.filter(code="1101010009").exists()


def test_teaching_point_parent_must_be_in_the_same_district(district_a: District, school_b1: School) -> None:
    with pytest.raises(ValidationError) as error:
        make_school(district_a, "1101010009", "后沟教学点", "teaching_point", parent=school_b1)
    assert "同一区县" in str(error.value)
    assert not School.objects.filter(code="1101010009").exists()


def test_teaching_point_with_a_parent_of_its_district_is_registered(school_a1: School) -> None:
    point = make_school(school_a1.district, "1101010009", "后沟教学点", "teaching_point", parent=school_a1)
    assert version_in(point, YEAR).parent == school_a1


def test_only_a_teaching_point_takes_a_parent(school_a1: School) -> None:
    with pytest.raises(ValidationError):
        make_school(school_a1.district, "1101010009", "新小学", "primary", parent=school_a1)


def test_type_change_from_a_year_leaves_the_year_before_as_it_was(district_a: District, bureau_user: User) -> None:
    school = make_school(district_a, "1101010009", "甲县东岭小学", "primary", year=YEAR - 1, area_type="rural")
    save_statistics(school, YEAR - 1)
    services.school_change(school=school, year=YEAR, user=bureau_user, school_type="nine_year", name="东岭九年制")

    before, after = version_in(school, YEAR - 1), version_in(school, YEAR)
    assert (before.school_type, before.name) == ("primary", "甲县东岭小学")
    assert (after.school_type, after.name, after.created_by) == ("nine_year", "东岭九年制", bureau_user)
    assert SchoolVersion.objects.filter(school=school).count() == 2
    assert after.area_type == "rural"  # unchanged attributes carry over
    # The list of each year shows the school as it was then.
    (row_before,) = district_school_rows(district_a, YEAR - 1)
    (row_after,) = district_school_rows(district_a, YEAR)
    assert row_before.version.school_type == "primary"
    assert row_before.statistics is not None and row_before.statistics.year == YEAR - 1
    assert (row_after.version.school_type, row_after.statistics) == ("nine_year", None)
    # Rules follow the year's type: junior students are fine from YEAR on, not before.
    junior = {"students_junior": 100, "classes_junior": 2, "max_class_size_junior": 50, "teachers_junior": 10}
    services.statistics_save(school=school, year=YEAR, raw=primary_values(**junior), user=bureau_user)
    with pytest.raises(services.StatisticsRejected) as rejected:
        services.statistics_save(school=school, year=YEAR - 1, raw=primary_values(**junior), user=bureau_user)
    assert "students_junior" in rejected.value.errors
    assert stats_of(school, YEAR - 1).students_junior is None


def test_a_second_change_in_the_same_year_updates_that_years_version(school_a1: School) -> None:
    services.school_change(school=school_a1, year=YEAR + 1, name="甲县城关小学")
    services.school_change(school=school_a1, year=YEAR + 1, area_type="town")
    versions = list(school_a1.versions.order_by("valid_from"))
    assert [v.valid_from for v in versions] == [YEAR, YEAR + 1]
    assert (versions[1].name, versions[1].area_type) == ("甲县城关小学", "town")
    assert versions[0].name == "甲县城关第一小学"


def test_closure_hides_the_school_from_later_years_only(school_a1: School, school_a2: School) -> None:
    services.school_change(school=school_a1, year=YEAR + 1, closed=True, note="撤并")
    district = school_a1.district

    def codes(year: int, **kwargs: bool) -> list[str]:
        return [row.school.code for row in district_school_rows(district, year, **kwargs)]

    assert codes(YEAR) == [school_a1.code, school_a2.code]
    assert codes(YEAR + 1) == [school_a2.code]
    assert codes(YEAR + 2) == [school_a2.code]
    assert codes(YEAR + 1, include_closed=True) == [school_a1.code, school_a2.code]
    assert codes(YEAR - 1) == []  # registered from YEAR on
    with pytest.raises(services.StatisticsRejected) as rejected:
        services.statistics_save(school=school_a1, year=YEAR + 1, raw=primary_values(), user=None)
    assert "已撤销" in " ".join(rejected.value.errors["year"])
    assert not AnnualStatistics.objects.filter(school=school_a1).exists()


def test_statistics_for_a_year_before_registration_are_refused(school_a1: School) -> None:
    with pytest.raises(services.StatisticsRejected) as rejected:
        services.statistics_save(school=school_a1, year=YEAR - 1, raw=primary_values(), user=None)
    assert "尚未登记" in " ".join(rejected.value.errors["year"])


# --- all-or-nothing saves ---------------------------------------------------------------------


def test_first_save_stores_every_value_as_a_draft(school_a1: School, bureau_user: User) -> None:
    result = services.statistics_save(school=school_a1, year=YEAR, raw=primary_values(), user=bureau_user)
    stats = stats_of(school_a1)
    assert result.created
    assert (stats.status, stats.revision, stats.updated_by) == (Status.DRAFT, 1, bureau_user)
    assert stats.students_primary == 600
    assert stats.teaching_area == Decimal("3000.50")
    assert stats.students_junior is None  # not reported, not 0


def test_one_bad_value_saves_nothing_and_keeps_the_previous_values(school_a1: School, bureau_user: User) -> None:
    save_statistics(school_a1, user=bureau_user)
    events = StatisticsEvent.objects.count()
    bad = primary_values(students_primary=610, computers=120, books="很多")
    with pytest.raises(services.StatisticsRejected) as rejected:
        services.statistics_save(school=school_a1, year=YEAR, raw=bad, user=bureau_user)
    assert list(rejected.value.errors) == ["books"]
    stats = stats_of(school_a1)
    assert (stats.students_primary, stats.computers, stats.books, stats.revision) == (600, 100, 20000, 1)
    assert StatisticsEvent.objects.count() == events


def test_a_rule_violation_on_first_save_creates_no_record(school_a1: School) -> None:
    with pytest.raises(services.StatisticsRejected) as rejected:
        services.statistics_save(school=school_a1, year=YEAR, raw=primary_values(pe_art_teachers_primary=41), user=None)
    assert list(rejected.value.errors) == ["pe_art_teachers_primary"]
    assert not AnnualStatistics.objects.filter(school=school_a1).exists()
    assert not StatisticsEvent.objects.exists()


def test_a_jump_of_more_than_half_needs_a_written_reason(school_a1: School, bureau_user: User) -> None:
    save_statistics(school_a1, YEAR)
    with pytest.raises(services.StatisticsRejected) as rejected:
        save_statistics(school_a1, YEAR + 1, books=30001)
    assert list(rejected.value.warnings) == ["books"]
    assert rejected.value.errors == {}
    assert not AnnualStatistics.objects.filter(school=school_a1, year=YEAR + 1).exists()

    result = services.statistics_save(
        school=school_a1,
        year=YEAR + 1,
        raw=primary_values(books=30001),
        reasons={"books": "新建图书室", "students_junior": "未变动的项目不记录说明"},
        user=bureau_user,
    )
    assert result.statistics.books == 30001
    assert result.statistics.change_reasons == {"books": "新建图书室"}
    (event,) = result.statistics.events.all()
    assert "新建图书室" in event.reason


def test_a_jump_of_exactly_half_saves_without_a_reason(school_a1: School) -> None:
    save_statistics(school_a1, YEAR)
    assert save_statistics(school_a1, YEAR + 1, books=30000).books == 30000


def test_saving_the_same_values_again_changes_nothing(school_a1: School) -> None:
    save_statistics(school_a1)
    result = services.statistics_save(school=school_a1, year=YEAR, raw=primary_values(), user=None)
    assert (result.created, result.changes) == (False, {})
    assert stats_of(school_a1).revision == 1
    assert actions(stats_of(school_a1)) == ["create"]


# --- event log --------------------------------------------------------------------------------


def test_every_change_writes_an_event_with_old_and_new_values(school_a1: School, bureau_user: User) -> None:
    save_statistics(school_a1, user=bureau_user)
    services.statistics_save(
        school=school_a1,
        year=YEAR,
        raw=primary_values(students_primary=620, teaching_area="3100.25", computers=""),
        user=bureau_user,
        expected_revision=1,
    )
    stats = stats_of(school_a1)
    create, save = stats.events.order_by("id")
    assert create.action == StatisticsEvent.Action.CREATE
    assert create.changes["students_primary"] == [None, 600]
    assert create.changes["teaching_area"] == [None, "3000.50"]
    assert "students_junior" not in create.changes  # empty then and now
    assert (save.action, save.user) == (StatisticsEvent.Action.SAVE, bureau_user)
    assert save.changes == {
        "students_primary": [600, 620],
        "teaching_area": ["3000.50", "3100.25"],
        "computers": [100, None],
    }
    assert stats.revision == 2


# --- workflow ---------------------------------------------------------------------------------


def test_workflow_draft_submitted_approved_reopened_and_editable_again(
    school_a1: School, bureau_user: User, principal: User
) -> None:
    stats = save_statistics(school_a1, user=principal)
    assert stats.status == Status.DRAFT and stats.editable

    stats = services.statistics_submit(stats=stats, user=principal)
    assert stats.status == Status.SUBMITTED
    with pytest.raises(ValidationError):
        save_statistics(school_a1, user=principal, books=20001)

    stats = services.statistics_approve(stats=stats, user=bureau_user)
    assert stats.status == Status.APPROVED and not stats.editable
    with pytest.raises(ValidationError) as locked:
        save_statistics(school_a1, user=bureau_user, books=20001)
    assert "退回" in " ".join(locked.value.messages)
    assert stats_of(school_a1).books == 20000

    for reason in ("", "   "):
        with pytest.raises(ValidationError):
            services.statistics_reopen(stats=stats, user=bureau_user, reason=reason)
    assert stats_of(school_a1).status == Status.APPROVED

    stats = services.statistics_reopen(stats=stats, user=bureau_user, reason="  图书数与台账不符  ")
    assert stats.status == Status.REOPENED and stats.editable
    save_statistics(school_a1, user=principal, books=20001)
    assert stats_of(school_a1).books == 20001
    assert stats_of(school_a1).status == Status.REOPENED

    stats = stats_of(school_a1)
    assert actions(stats) == ["create", "submit", "approve", "reopen", "save"]
    reopen = stats.events.get(action="reopen")
    assert (reopen.reason, reopen.user) == ("图书数与台账不符", bureau_user)


def test_a_draft_cannot_be_approved_or_reopened(school_a1: School, bureau_user: User) -> None:
    stats = save_statistics(school_a1)
    with pytest.raises(ValidationError):
        services.statistics_approve(stats=stats, user=bureau_user)
    with pytest.raises(ValidationError):
        services.statistics_reopen(stats=stats, user=bureau_user, reason="理由")
    assert stats_of(school_a1).status == Status.DRAFT
    assert actions(stats_of(school_a1)) == ["create"]


def test_approved_data_cannot_be_submitted_again(school_a1: School, bureau_user: User) -> None:
    stats = services.statistics_submit(stats=save_statistics(school_a1), user=bureau_user)
    stats = services.statistics_approve(stats=stats, user=bureau_user)
    with pytest.raises(ValidationError):
        services.statistics_submit(stats=stats, user=bureau_user)
    assert stats_of(school_a1).status == Status.APPROVED


# --- optimistic lock --------------------------------------------------------------------------


def test_a_save_from_an_old_revision_is_refused_and_lists_what_changed(
    school_a1: School, bureau_user: User, principal: User
) -> None:
    loaded = save_statistics(school_a1, user=principal).revision  # both editors open revision 1
    services.statistics_save(
        school=school_a1, year=YEAR, raw=primary_values(books=21000), user=bureau_user, expected_revision=loaded
    )
    services.statistics_save(
        school=school_a1,
        year=YEAR,
        raw=primary_values(books=22000, computers=110),
        user=bureau_user,
        expected_revision=loaded + 1,
    )

    with pytest.raises(services.StaleRevision) as stale:
        services.statistics_save(
            school=school_a1,
            year=YEAR,
            raw=primary_values(students_primary=610),
            user=principal,
            expected_revision=loaded,
        )
    assert stale.value.changes == {"books": [20000, 22000], "computers": [100, 110]}
    assert stale.value.current_revision == 3
    stats = stats_of(school_a1)
    assert (stats.students_primary, stats.books, stats.computers, stats.revision) == (600, 22000, 110, 3)
    assert actions(stats) == ["create", "save", "save"]

    # Starting again from the current revision works.
    services.statistics_save(
        school=school_a1,
        year=YEAR,
        raw=primary_values(students_primary=610, books=22000, computers=110),
        user=principal,
        expected_revision=3,
    )
    assert stats_of(school_a1).students_primary == 610


def test_workflow_steps_do_not_make_an_editors_revision_stale(school_a1: School, bureau_user: User) -> None:
    stats = save_statistics(school_a1)
    stats = services.statistics_submit(stats=stats, user=bureau_user)
    services.statistics_reopen(stats=stats, user=bureau_user, reason="补充")
    services.statistics_save(
        school=school_a1, year=YEAR, raw=primary_values(books=20001), user=bureau_user, expected_revision=1
    )
    assert stats_of(school_a1).revision == 2


# --- balance results become stale -----------------------------------------------------------


def test_save_and_approve_mark_the_district_year_stale_and_schedule_one_recompute(
    school_a1: School, school_a2: School, bureau_user: User, django_capture_on_commit_callbacks
) -> None:
    district = school_a1.district
    with django_capture_on_commit_callbacks() as callbacks:
        save_statistics(school_a1, user=bureau_user)
        save_statistics(school_a2, user=bureau_user, school_type="junior")
    state = balance_state(district)
    assert state.stale and state.queued_at is not None and state.requested_at is not None
    assert len(callbacks) == 1  # a burst of saves gives one recompute

    for callback in callbacks:
        callback()  # the recompute runs in-process (Celery eager)
    state = balance_state(district)
    assert not state.stale and state.queued_at is None
    assert BalanceResult.objects.filter(district=district, year=YEAR, is_current=True).exists()

    with django_capture_on_commit_callbacks() as callbacks:
        stats = services.statistics_submit(stats=stats_of(school_a1), user=bureau_user)
        assert balance_state(district).stale
        services.statistics_approve(stats=stats, user=bureau_user)
    assert len(callbacks) == 1  # two changes in one transaction: one recompute
    for callback in callbacks:
        callback()
    assert not balance_state(district).stale
    assert not BalanceState.objects.filter(district=school_a1.district, year=YEAR - 1).exists()


def test_a_rejected_save_does_not_mark_anything_stale(school_a1: School) -> None:
    with pytest.raises(services.StatisticsRejected):
        services.statistics_save(school=school_a1, year=YEAR, raw=primary_values(books="x"), user=None)
    assert not BalanceState.objects.exists()


def test_approve_marks_a_computed_year_stale_again(school_a1: School, bureau_user: User) -> None:
    stats = services.statistics_submit(stats=save_statistics(school_a1), user=bureau_user)
    BalanceState.objects.filter(district=school_a1.district, year=YEAR).update(stale=False, queued_at=None)
    services.statistics_approve(stats=stats, user=bureau_user)
    state = balance_state(school_a1.district)
    assert state.stale and state.queued_at is not None


def test_a_reason_given_once_still_counts_when_other_fields_are_saved_later(
    school_a1: School, bureau_user: User
) -> None:
    save_statistics(school_a1, YEAR)
    services.statistics_save(
        school=school_a1,
        year=YEAR + 1,
        raw=primary_values(books=40000),
        reasons={"books": "新建图书馆"},
        user=bureau_user,
    )
    # A later correction of another field does not ask again for the books reason …
    services.statistics_save(
        school=school_a1,
        year=YEAR + 1,
        raw=primary_values(books=40000, computers=101),
        user=bureau_user,
        expected_revision=1,
    )
    assert stats_of(school_a1, YEAR + 1).computers == 101
    # … but a new value of the jumping field does.
    with pytest.raises(services.StatisticsRejected) as rejected:
        services.statistics_save(
            school=school_a1,
            year=YEAR + 1,
            raw=primary_values(books=41000, computers=101),
            user=bureau_user,
            expected_revision=2,
        )
    assert list(rejected.value.warnings) == ["books"]


def test_saving_unchanged_values_to_an_approved_record_is_a_no_op(school_a1: School, bureau_user: User) -> None:
    stats = services.statistics_submit(stats=save_statistics(school_a1), user=bureau_user)
    services.statistics_approve(stats=stats, user=bureau_user)
    result = services.statistics_save(school=school_a1, year=YEAR, raw=primary_values(), user=bureau_user)
    assert (result.created, result.changes) == (False, {})
    with pytest.raises(ValidationError):
        services.statistics_save(school=school_a1, year=YEAR, raw=primary_values(books=1), user=bureau_user)
    assert stats_of(school_a1).status == Status.APPROVED
    assert actions(stats_of(school_a1)) == ["create", "submit", "approve"]
