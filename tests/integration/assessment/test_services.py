"""County assessment services and selectors on PostgreSQL: checklist versions, automatic
judgements from statistics, entered figures with evidence (all or nothing), the survey and its
one-time tokens, and the problem list opening and closing itself."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from assessment import selectors, services
from assessment.defaults import DEFAULT_CHECKLIST
from assessment.models import (
    ChecklistVersion,
    ItemEntry,
    ItemEvidence,
    Problem,
    RespondentToken,
    Survey,
    SurveyAnswer,
    SurveyLink,
    SurveyResponse,
)
from assessment.problems import services as problem_services
from assessment.survey import selectors as survey_selectors
from assessment.survey import services as survey_services
from core.models import User
from indicators.models import RuleProfile
from indicators.services import balance_recompute, balance_recompute_one
from plans.models import CountyFigure
from schools import services as school_services
from schools.models import AnnualStatistics, District, School
from tests.factories import YEAR, make_school, save_statistics

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def profile() -> RuleProfile:
    return RuleProfile.objects.get(name="quality-2017")


def checklist(district: District, year: int = YEAR) -> selectors.CountyChecklist:
    judged = selectors.county_checklist(district, year, profile())
    assert judged is not None
    return judged


def item(key: str) -> Any:
    spec = selectors.checklist_of(selectors.checklist_version_for(profile())).item(key)  # type: ignore[arg-type]
    assert spec is not None
    return spec


def approved(school: School, year: int = YEAR, school_type: str = "primary", **overrides: Any) -> AnnualStatistics:
    stats = save_statistics(school, year, school_type=school_type, **overrides)
    stats = school_services.statistics_submit(stats=stats, user=None)
    return school_services.statistics_approve(stats=stats, user=None)


# --- checklist ------------------------------------------------------------------------------


def test_the_default_checklist_is_installed_by_the_migration() -> None:
    version = ChecklistVersion.objects.get(profile__name="quality-2017")
    assert version.version == 1
    assert len(version.definition["items"]) == len(DEFAULT_CHECKLIST["items"]) == 29
    assert services.checklist_install_defaults() == []  # idempotent


def test_editing_the_checklist_adds_a_version_and_a_bad_one_saves_nothing(admin_user: User) -> None:
    definition = selectors.checklist_version_for(profile()).definition  # type: ignore[union-attr]
    definition["items"][4]["params"]["limits"]["primary"] = 40
    version = services.checklist_update(profile=profile(), definition=definition, user=admin_user, note="省标 40 人")
    assert version.version == 2
    assert selectors.checklist_version_for(profile()) == version
    assert selectors.checklist_of(version).item("G05").params["limits"]["primary"] == 40  # type: ignore[union-attr]
    definition["items"][2]["params"]["reading"] = "floor"
    with pytest.raises(ValidationError, match="reading"):
        services.checklist_update(profile=profile(), definition=definition, user=admin_user)
    assert ChecklistVersion.objects.filter(profile=profile()).count() == 2


def test_a_province_copy_of_the_2017_rules_uses_the_default_checklist_and_2012_has_none() -> None:
    copy = RuleProfile.objects.create(name="hebei-2017", label="河北", province="河北省")
    copy.versions.create(version=1, definition=profile().current_version().definition)
    assert selectors.checklist_version_for(copy) == selectors.checklist_version_for(profile())
    assert selectors.checklist_version_for(RuleProfile.objects.get(name="basic-2012")) is None


# --- automatic judgements -------------------------------------------------------------------


def test_automatic_items_judge_each_school_from_its_statistics(
    district_a: District, school_a1: School, school_a2: School
) -> None:
    save_statistics(school_a1, max_class_size_primary=45)
    save_statistics(school_a2, school_type="junior", max_class_size_junior=51)
    judged = checklist(district_a)
    class_size = judged.items["G05"].judgement
    assert class_size.verdict is False
    assert [(x.school_code, x.detail) for x in class_size.failing] == [("1101010002", "初中最大班额 51 人,超过 50 人")]
    assert judged.items["G04"].judgement.verdict is True  # 600 and 500 students
    # the junior school reports rooms without their area: the rooms item can't be confirmed
    rooms = judged.items["G03"].judgement
    assert rooms.verdict is None
    assert any("音乐专用教室面积未填报" in m for m in rooms.missing)
    assert judged.areas["guarantee"].verdict is False


def test_a_school_without_statistics_leaves_the_item_undecided(district_a: District, school_a1: School) -> None:
    judged = checklist(district_a).items["G05"].judgement
    assert judged.verdict is None
    assert judged.missing == ("甲县城关第一小学:未填报统计数据",)


# --- entered items --------------------------------------------------------------------------


def test_entered_figures_are_saved_and_judged(district_a: District, bureau_user: User) -> None:
    services.item_entry_save(
        district=district_a,
        year=YEAR,
        item=item("G11"),
        raw={"eligible": "1,260", "rotated": "126", "backbone_rotated": "25"},
        note="县人社局数据",
        user=bureau_user,
    )
    entry = ItemEntry.objects.get(district=district_a, year=YEAR, item_key="G11")
    assert entry.values == {"eligible": "1260", "rotated": "126", "backbone_rotated": "25"}
    assert (entry.revision, entry.updated_by, entry.note) == (1, bureau_user, "县人社局数据")
    judged = checklist(district_a).items["G11"].judgement
    assert [c.passes for c in judged.checks] == [True, False]  # 10 % exactly; 25/126 = 19.8 %
    assert judged.verdict is False


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"value": "120"}, "value", "“随迁子女在公办学校和政府购买服务的民办学校就读比例”不能大于 100%"),
        ({"value": "-1"}, "value", "不能小于 0%"),
        ({"value": "八十五"}, "value", "应为数字,收到“八十五”"),
        ({"value": "88", "care": "maybe"}, "care", "请选择“是”或“否”"),
    ],
)
def test_a_figure_out_of_range_is_refused_and_nothing_is_saved(
    district_a: District, bureau_user: User, raw: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.item_entry_save(district=district_a, year=YEAR, item=item("G15"), raw=raw, user=bureau_user)
    assert message in " ".join(caught.value.message_dict[field])
    assert not ItemEntry.objects.exists()


def test_a_count_above_its_total_is_refused(district_a: District, bureau_user: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.item_entry_save(
            district=district_a,
            year=YEAR,
            item=item("G11"),
            raw={"eligible": "100", "rotated": "120", "backbone_rotated": "12.5"},
            user=bureau_user,
        )
    errors = caught.value.message_dict
    assert errors["rotated"] == ["“本年交流轮岗教师数”(120)不能大于“符合交流条件教师总数”(100)"]
    assert errors["backbone_rotated"] == ["“其中骨干教师数”应为整数"]


def test_evidence_is_stored_by_content_and_an_oversized_or_wrong_file_saves_nothing(
    district_a: District, bureau_user: User, tmp_path: Any
) -> None:
    with override_settings(MEDIA_ROOT=tmp_path):
        services.item_entry_save(
            district=district_a,
            year=YEAR,
            item=item("G01"),
            raw={"met": "true"},
            uploads=[SimpleUploadedFile("布局规划.pdf", PDF)],
            user=bureau_user,
        )
        evidence = ItemEvidence.objects.get()
        assert (evidence.original_name, evidence.kind, evidence.size) == ("布局规划.pdf", "pdf", len(PDF))
        assert (tmp_path / "evidence" / evidence.sha256).read_bytes() == PDF

        entry = ItemEntry.objects.get()
        with pytest.raises(ValidationError, match="不是允许的类型"):
            services.item_entry_save(
                district=district_a,
                year=YEAR,
                item=item("G01"),
                raw={"met": "false"},
                uploads=[SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf")],
                user=bureau_user,
            )
        with (
            pytest.raises(ValidationError, match="超过 1 MB 上限"),
            override_settings(),
        ):
            from plans import files

            original = files.MAX_EVIDENCE_BYTES
            files.MAX_EVIDENCE_BYTES = 1024 * 1024
            try:
                services.item_entry_save(
                    district=district_a,
                    year=YEAR,
                    item=item("G01"),
                    raw={"met": "false"},
                    uploads=[SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))],
                    user=bureau_user,
                )
            finally:
                files.MAX_EVIDENCE_BYTES = original
    entry.refresh_from_db()
    assert entry.values == {"met": "true"} and entry.revision == 1  # the refused saves changed nothing
    assert ItemEvidence.objects.count() == 1


def test_a_save_over_someone_elses_is_refused(district_a: District, bureau_user: User) -> None:
    services.item_entry_save(district=district_a, year=YEAR, item=item("G09"), raw={"value": "99"}, user=bureau_user)
    services.item_entry_save(
        district=district_a, year=YEAR, item=item("G09"), raw={"value": "100"}, user=bureau_user, revision=1
    )
    with pytest.raises(ValidationError, match="已被他人修改"):
        services.item_entry_save(
            district=district_a, year=YEAR, item=item("G09"), raw={"value": "98"}, user=bureau_user, revision=1
        )
    with pytest.raises(ValidationError, match="必须注明所依据的版本号"):  # no revision at all
        services.item_entry_save(
            district=district_a, year=YEAR, item=item("G09"), raw={"value": "97"}, user=bureau_user
        )
    assert ItemEntry.objects.get().values == {"value": "100"}


def test_retention_is_the_plans_county_figure(district_a: District, bureau_user: User) -> None:
    from plans.services import county_figure_set

    county_figure_set(district=district_a, year=YEAR, kind="retention_rate", value="96.5")
    assert checklist(district_a).items["Q01"].judgement.verdict is True
    services.item_entry_save(district=district_a, year=YEAR, item=item("Q01"), raw={"value": "94.9"}, user=bureau_user)
    assert CountyFigure.objects.get(district=district_a, year=YEAR, kind="retention_rate").value == Decimal("94.9")
    assert ItemEntry.objects.get(item_key="Q01").values == {}  # not stored twice
    assert checklist(district_a).items["Q01"].judgement.verdict is False


# --- survey ---------------------------------------------------------------------------------


@pytest.fixture
def survey(district_a: District, school_a1: School, school_a2: School, bureau_user: User) -> Survey:
    district_a.resident_population = 412_600
    district_a.save()
    return survey_services.survey_open(district=district_a, year=YEAR, user=bureau_user)


def plan_met_by(survey: Survey, responses: int) -> None:
    """A sample plan that `responses` urban parents' questionnaires meet (a survey is judged only
    on a sample that meets its plan): 1.5‰ of the population is at most `responses`."""
    survey_services.survey_plan_set(
        survey=survey,
        population=str(responses * 1000 * 2 // 3),
        permille="1.5",
        parent_share_percent="50",
        area_percents={"urban": "100", "town": "0", "rural": "0"},
    )
    survey.refresh_from_db()


def answers(link: SurveyLink, option: str = "5", **extra: str) -> dict[str, str]:
    definition = survey_services.questionnaire_of(link)
    raw = {f"q_{q['key']}": option for q in definition["questions"]}
    if link.questionnaire == "social":
        raw.update(group="parent", grade="4")
    if link.questionnaire == "staff":
        raw["group"] = "teacher"
    if link.questionnaire == "student":
        raw["grade"] = "5"
    if link.school is None:
        raw["area"] = "rural"
    raw.update(extra)
    return raw


def submit(link: SurveyLink, raw: dict[str, str] | None = None, seconds: int = 60) -> SurveyResponse:
    token = survey_services.respondent_token_issue(link=link)
    return survey_services.response_submit(
        token=token.token,
        raw=answers(link) if raw is None else raw,
        link=link,
        now=token.issued_at + datetime.timedelta(seconds=seconds),
    )


def test_opening_a_survey_makes_the_three_questionnaires_per_school_and_a_district_link(
    survey: Survey, school_a1: School
) -> None:
    links = set(SurveyLink.objects.filter(survey=survey).values_list("questionnaire", "school__code"))
    assert links == {
        ("social", None),
        ("social", "1101010001"),
        ("staff", "1101010001"),
        ("student", "1101010001"),
        ("social", "1101010002"),
        ("staff", "1101010002"),
        ("student", "1101010002"),
    }
    assert survey.population == 412_600
    assert survey.positive_options == ["5", "4"] and survey.threshold == Decimal("0.85")
    assert survey_services.survey_links_refresh(survey=survey) == 0
    make_school(survey.district, "1101010009", "新建小学", "primary")
    assert survey_services.survey_links_refresh(survey=survey) == 3
    with pytest.raises(ValidationError, match="已经开启"):
        survey_services.survey_open(district=survey.district, year=YEAR, user=None)


def test_a_response_uses_up_its_token_and_a_second_one_is_refused(survey: Survey, school_a1: School) -> None:
    link = SurveyLink.objects.get(survey=survey, questionnaire="social", school=school_a1)
    token = survey_services.respondent_token_issue(link=link)
    later = token.issued_at + datetime.timedelta(seconds=60)
    response = survey_services.response_submit(token=token.token, raw=answers(link), link=link, now=later)
    assert (response.group, response.area_type, response.grade, response.school) == ("parent", "urban", 4, school_a1)
    assert SurveyAnswer.objects.filter(response=response).count() == 7
    with pytest.raises(survey_services.SurveyRefusedError) as refused:
        survey_services.response_submit(token=token.token, raw=answers(link, "1"), link=link, now=later)
    assert (refused.value.code, refused.value.status) == ("used", 409)
    assert "已经提交过" in refused.value.message
    assert SurveyResponse.objects.count() == 1
    assert not SurveyAnswer.objects.filter(option="1").exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"q_q3": ""}, "q_q3", "请回答第 3 题"),
        ({"q_overall": "9"}, "q_overall", "第 7 题的选项无效"),
        ({"group": ""}, "group", "请选择您的身份"),
        ({"grade": "12"}, "grade", "请选择年级"),
    ],
)
def test_a_missing_answer_saves_nothing_and_keeps_the_token(
    survey: Survey, school_a1: School, change: dict[str, str], field: str, message: str
) -> None:
    link = SurveyLink.objects.get(survey=survey, questionnaire="social", school=school_a1)
    token = survey_services.respondent_token_issue(link=link)
    with pytest.raises(ValidationError) as caught:
        survey_services.response_submit(
            token=token.token,
            raw={**answers(link), **change},
            link=link,
            now=token.issued_at + datetime.timedelta(seconds=60),
        )
    assert caught.value.message_dict[field] == [message]
    assert not SurveyResponse.objects.exists() and not SurveyAnswer.objects.exists()
    token.refresh_from_db()
    assert token.used_at is None


def test_students_are_asked_from_grade_3(survey: Survey, school_a1: School) -> None:
    link = SurveyLink.objects.get(survey=survey, questionnaire="student", school=school_a1)
    with pytest.raises(ValidationError):
        submit(link, answers(link, grade="2"))
    assert submit(link, answers(link, grade="3")).grade == 3


@pytest.mark.parametrize(
    ("token", "raw", "seconds", "code"),
    [
        ("no-such-token", None, 60, "invalid"),
        ("", None, 60, "invalid"),
        (None, None, 5, "too_fast"),
        (None, {"website": "http://spam.example"}, 60, "robot"),
    ],
)
def test_bad_tokens_bots_and_hurried_submissions_are_refused(
    survey: Survey, school_a1: School, token: str | None, raw: dict[str, str] | None, seconds: int, code: str
) -> None:
    link = SurveyLink.objects.get(survey=survey, questionnaire="staff", school=school_a1)
    issued = survey_services.respondent_token_issue(link=link)
    with pytest.raises(survey_services.SurveyRefusedError) as refused:
        survey_services.response_submit(
            token=issued.token if token is None else token,
            raw={**answers(link), **(raw or {})},
            link=link,
            now=issued.issued_at + datetime.timedelta(seconds=seconds),
        )
    assert refused.value.code == code
    assert not SurveyResponse.objects.exists()


def test_a_token_of_another_link_and_a_closed_survey_are_refused(survey: Survey, school_a1: School) -> None:
    social = SurveyLink.objects.get(survey=survey, questionnaire="social", school=school_a1)
    staff = SurveyLink.objects.get(survey=survey, questionnaire="staff", school=school_a1)
    token = survey_services.respondent_token_issue(link=social)
    later = token.issued_at + datetime.timedelta(seconds=60)
    with pytest.raises(survey_services.SurveyRefusedError, match="链接无效"):
        survey_services.response_submit(token=token.token, raw=answers(staff), link=staff, now=later)
    survey_services.survey_close(survey=survey, user=None)
    with pytest.raises(survey_services.SurveyRefusedError) as refused:
        survey_services.response_submit(token=token.token, raw=answers(social), link=social, now=later)
    assert refused.value.code == "closed"


def test_survey_summary_counts_rate_and_sample_plan(survey: Survey, school_a1: School) -> None:
    social = SurveyLink.objects.get(survey=survey, questionnaire="social", school=school_a1)
    district_link = SurveyLink.objects.get(survey=survey, questionnaire="social", school=None)
    student = SurveyLink.objects.get(survey=survey, questionnaire="student", school=school_a1)
    for option in ["5"] * 10 + ["4"] * 7 + ["3"] * 3:  # parents: 17 of 20 positive = 85 %
        submit(social, answers(social, option))
    submit(district_link, answers(district_link, "2", group="npc"))
    for option in ("5", "4", "4", "3"):
        submit(student, answers(student, option))
    summary = survey_selectors.survey_summary(survey)
    assert summary.responses == 25
    assert summary.by_group == {"parent": 20, "npc": 1, "student": 4}
    assert summary.by_area == {"urban": 24, "rural": 1}
    assert summary.tallies == {"parent": (17, 20), "npc": (0, 1), "student": (3, 4)}
    assert summary.rate == pytest.approx(20 / 25)  # pooled: 80 %
    # The sample is far short of its plan (standards.md §3.5): not judged, whatever the rate so far,
    # and each short stratum says how many responses are still needed.
    assert summary.verdict is None
    assert ("parent", "overall", "5", 10) in summary.counts and ("parent", "q1", "3", 3) in summary.counts
    assert summary.plan is not None and (summary.plan.total, summary.plan.parents_min) == (619, 310)
    assert summary.missing[0] == "样本不足:已收回 25 份,应不少于 619 份,还需 594 份"
    urban = summary.plan.area_targets["urban"]
    assert f"城区样本 24 份,应不少于 {urban} 份,还需 {urban - 24} 份" in summary.missing
    assert summary.missing[-1] == "样本未达到抽样方案,认可度暂不判定"
    # A plan the sample meets (1.5‰ of 10,000 = 15, parents ≥ 8, 96 % urban): judged, 80 % fails.
    survey_services.survey_plan_set(
        survey=survey,
        population="10000",
        permille="1.5",
        parent_share_percent="50",
        area_percents={"urban": "96", "town": "0", "rural": "4"},
    )
    survey.refresh_from_db()
    complete = survey_selectors.survey_summary(survey)
    assert complete.fulfilment is not None and complete.fulfilment.complete
    assert complete.verdict is False and complete.missing == []
    # weighting by group is a setting: parents only → exactly 85 % → passes
    survey_services.survey_scoring_set(
        survey=survey,
        positive_options=["5", "4"],
        group_weights={"parent": "1"},
        rate_basis="overall",
        threshold_percent="85",
    )
    survey.refresh_from_db()
    weighted = survey_selectors.survey_summary(survey)
    assert weighted.rate == pytest.approx(0.85) and weighted.verdict is True


def test_sample_plan_is_validated_and_saved(survey: Survey) -> None:
    with pytest.raises(ValidationError) as caught:
        survey_services.survey_plan_set(
            survey=survey, population="abc", permille="1.5", parent_share_percent="50", area_percents={"urban": "50"}
        )
    assert set(caught.value.message_dict) == {"population", "area_town", "area_rural"}
    with pytest.raises(ValidationError, match="合计应为 100%"):
        survey_services.survey_plan_set(
            survey=survey,
            population="400000",
            permille="1.5",
            parent_share_percent="50",
            area_percents={"urban": "50", "town": "30", "rural": "30"},
        )
    saved = survey_services.survey_plan_set(
        survey=survey,
        population="400000",
        permille="1.5",
        parent_share_percent="60",
        area_percents={"urban": "40", "town": "35", "rural": "25"},
        min_fill_seconds="10",
    )
    assert (saved.population, saved.parent_share, saved.min_fill_seconds) == (400_000, Decimal("0.600"), 10)
    plan = survey_selectors.survey_summary(saved).plan
    assert plan is not None
    assert (plan.total, plan.parents_min, dict(plan.area_targets)) == (
        600,
        360,
        {"urban": 240, "town": 210, "rural": 150},
    )


# --- problems -------------------------------------------------------------------------------


UNIT_KEY = "unit:quality-2017:1101010001:primary:sports_area_per_student"


def test_a_failing_school_indicator_opens_a_problem_that_closes_when_approved_data_passes(
    district_a: District, school_a1: School
) -> None:
    stats = approved(school_a1, sports_area="4000")  # 6.67 m²/生 < 7.5
    balance_recompute(districts=[district_a], year=YEAR)
    result = problem_services.problems_sync(district=district_a, year=YEAR)
    problem = Problem.objects.get(key=UNIT_KEY)
    assert problem.title == "甲县城关第一小学(小学)生均体育运动场馆面积未达标"
    assert "需增加体育运动场馆 500 m²" in problem.detail
    assert (problem.state, problem.owner, problem.school, problem.deadline) == (
        "open",
        "甲县城关第一小学",
        school_a1,
        datetime.date(YEAR + 1, 8, 31),
    )
    assert result.opened >= 1
    # idempotent
    assert problem_services.problems_sync(district=district_a, year=YEAR).opened == 0
    assert Problem.objects.filter(key=UNIT_KEY).count() == 1

    # Fixed but not yet approved: stays open.
    stats = school_services.statistics_reopen(stats=stats, user=None, reason="补录运动场面积")
    fixed = school_services.statistics_save(
        school=school_a1,
        year=YEAR,
        raw={**_values(stats), "sports_area": "5000"},
        user=None,
        expected_revision=stats.revision,
    ).statistics
    fixed = school_services.statistics_submit(stats=fixed, user=None)
    balance_recompute(districts=[district_a], year=YEAR)
    assert problem_services.problems_sync(district=district_a, year=YEAR).closed == 0
    assert Problem.objects.get(key=UNIT_KEY).state == "open"

    # Approved: the next sync closes it, saying why.
    school_services.statistics_approve(stats=fixed, user=None)
    balance_recompute(districts=[district_a], year=YEAR)
    assert problem_services.problems_sync(district=district_a, year=YEAR).closed >= 1
    problem.refresh_from_db()
    assert (problem.state, problem.closed_auto) == ("closed", True)
    assert problem.close_note == "2025 学年已审核数据达标,系统自动关闭"
    # and it is not reopened by another sync of the same data
    problem_services.problems_sync(district=district_a, year=YEAR)
    assert Problem.objects.filter(key=UNIT_KEY).count() == 1


def _values(stats: AnnualStatistics) -> dict[str, Any]:
    from schools.services import stat_values

    return {k: v for k, v in stat_values(stats).items() if v is not None}


def test_a_cv_over_its_threshold_and_a_failing_item_become_problems(
    district_a: District, school_a1: School, bureau_user: User
) -> None:
    other = make_school(district_a, "1101010003", "甲县南关小学", "primary")
    approved(school_a1, sports_area="600")  # 1 m²/生
    approved(other, sports_area="6000")  # 10 m²/生: CV = 4.5 / 5.5 = 0.82
    balance_recompute(districts=[district_a], year=YEAR)
    services.item_entry_save(district=district_a, year=YEAR, item=item("G15"), raw={"value": "80"}, user=bureau_user)
    problem_services.problems_sync(district=district_a, year=YEAR)
    cv = Problem.objects.get(key="cv:quality-2017:primary:sports_area_per_student")
    assert cv.title == "小学生均体育运动场馆面积校际差异系数超标"
    assert cv.detail == "差异系数 0.818,标准 ≤ 0.5"
    assert (cv.source, cv.owner) == ("balance_cv", "县教育局")
    g15 = Problem.objects.get(key="item:G15")
    assert g15.source == "item" and "随迁子女就读比例:80.00(标准 ≥ 85%)" in g15.detail
    # entering a passing figure closes the item's problem at the next sync
    services.item_entry_save(
        district=district_a,
        year=YEAR,
        item=item("G15"),
        raw={"value": "86", "care": "true"},
        user=bureau_user,
        revision=1,
    )
    problem_services.problems_sync(district=district_a, year=YEAR)
    g15.refresh_from_db()
    assert g15.state == "closed" and g15.closed_auto


def test_a_problem_closed_by_hand_needs_a_note_and_is_not_reopened_that_year(
    district_a: District, school_a1: School, bureau_user: User
) -> None:
    approved(school_a1, sports_area="4000")
    balance_recompute(districts=[district_a], year=YEAR)
    problem_services.problems_sync(district=district_a, year=YEAR)
    problem = Problem.objects.get(key=UNIT_KEY)
    with pytest.raises(ValidationError, match="必须填写整改说明"):
        problem_services.problem_close(problem=problem, note=" ", user=bureau_user)
    problem_services.problem_close(problem=problem, note="已租用邻近体育场,协议见附件", user=bureau_user)
    problem.refresh_from_db()
    assert (problem.state, problem.closed_auto, problem.closed_by) == ("closed", False, bureau_user)
    problem_services.problems_sync(district=district_a, year=YEAR)
    assert Problem.objects.filter(key=UNIT_KEY).count() == 1
    # next year's data still failing: a new problem for that year
    approved(school_a1, YEAR + 1, sports_area="4000")
    balance_recompute(districts=[district_a], year=YEAR + 1)
    problem_services.problems_sync(district=district_a, year=YEAR + 1)
    assert list(Problem.objects.filter(key=UNIT_KEY).values_list("year", "state")) == [
        (YEAR, "closed"),
        (YEAR + 1, "open"),
    ]


def test_manual_problems_and_their_updates(district_a: District, school_a1: School, bureau_user: User) -> None:
    with pytest.raises(ValidationError):
        problem_services.problem_create(
            district=district_a, year=YEAR, title=" ", detail="", owner="", deadline=None, school=None, user=bureau_user
        )
    problem = problem_services.problem_create(
        district=district_a,
        year=YEAR,
        title="功能室使用记录不全",
        detail="",
        owner="基教股",
        deadline=datetime.date(2026, 6, 30),
        school=school_a1,
        user=bureau_user,
    )
    problem_services.problem_update(problem=problem, owner="张三", deadline=None, state="in_progress")
    problem.refresh_from_db()
    assert (problem.source, problem.owner, problem.state, problem.key) == ("manual", "张三", "in_progress", "")
    problem_services.problems_sync(district=district_a, year=YEAR)
    problem.refresh_from_db()
    assert problem.state == "in_progress"  # the sync never touches the bureau's own problems


def test_a_balance_recompute_syncs_the_problem_list_after_commit(
    district_a: District, school_a1: School, django_capture_on_commit_callbacks: Any
) -> None:
    approved(school_a1, sports_area="4000")
    with django_capture_on_commit_callbacks(execute=True):
        balance_recompute_one(district_id=district_a.pk, year=YEAR)
    assert Problem.objects.filter(key=UNIT_KEY, state="open").exists()


def _nightly(district: District) -> None:
    from indicators.tasks import recompute_all_balance

    recompute_all_balance()


def _command(district: District) -> None:
    from django.core.management import call_command

    call_command("recompute_balance", "--district", district.code, "--year", str(YEAR), stdout=StringIO())


@pytest.mark.parametrize("recompute", [_nightly, _command], ids=["nightly task", "recompute_balance command"])
def test_every_recompute_entry_point_syncs_the_problem_list(
    district_a: District,
    school_a1: School,
    django_capture_on_commit_callbacks: Any,
    recompute: Callable[[District], None],
) -> None:
    approved(school_a1, sports_area="4000")
    with django_capture_on_commit_callbacks(execute=True):
        recompute(district_a)
    assert Problem.objects.filter(key=UNIT_KEY, state="open").exists()


def test_a_closed_survey_below_the_threshold_is_a_problem(survey: Survey, school_a1: School) -> None:
    link = SurveyLink.objects.get(survey=survey, questionnaire="social", school=school_a1)
    for option in ("5", "3"):
        submit(link, answers(link, option))
    plan_met_by(survey, 2)
    problem_services.problems_sync(district=survey.district, year=YEAR)
    assert not Problem.objects.filter(key="recognition").exists()  # judged when closed
    survey_services.survey_close(survey=survey, user=None)
    problem_services.problems_sync(district=survey.district, year=YEAR)
    problem = Problem.objects.get(key="recognition")
    assert problem.title == "社会认可度未达到 85%"
    assert problem.detail == "认可度 50.0%,有效问卷 2 份"


# --- selectors for the overview and the report ----------------------------------------------


def test_report_sections_shape(survey: Survey, school_a1: School, bureau_user: User) -> None:
    approved(school_a1, max_class_size_primary=46)
    balance_recompute(districts=[survey.district], year=YEAR)
    services.item_entry_save(
        district=survey.district, year=YEAR, item=item("G09"), raw={"value": "100"}, user=bureau_user
    )
    link = SurveyLink.objects.get(survey=survey, questionnaire="social", school=school_a1)
    submit(link)
    plan_met_by(survey, 1)
    problem_services.problems_sync(district=survey.district, year=YEAR)
    sections = selectors.report_sections(survey.district, YEAR, "quality-2017")
    assert set(sections) == {"guarantee", "quality", "recognition", "problems"}
    for section in sections.values():
        assert set(section) == {"has_data", "verdict", "rows", "summary"}
        assert isinstance(section["summary"], str)
    guarantee = sections["guarantee"]
    assert [r["key"] for r in guarantee["rows"]] == [f"G{n:02d}" for n in range(1, 16)]
    g05 = next(r for r in guarantee["rows"] if r["key"] == "G05")
    assert g05["verdict"] is False
    assert g05["failing_schools"] == [
        {"code": "1101010001", "name": "甲县城关第一小学", "detail": "小学最大班额 46 人,超过 45 人"}
    ]
    g09 = next(r for r in guarantee["rows"] if r["key"] == "G09")
    assert (g09["verdict"], g09["value"]) == (True, "教师5年360学时培训完成率 100%")
    assert guarantee["verdict"] is False
    quality = sections["quality"]
    assert [r["area"] for r in quality["rows"]].count("veto") == 5 and len(quality["rows"]) == 14
    assert quality["has_data"] is False and quality["verdict"] is None
    recognition = sections["recognition"]
    assert recognition["rows"][0]["group"] == "parent"
    assert recognition["rows"][0]["answers"]["overall"] == {"5": 1}
    assert recognition["verdict"] is True
    problems = sections["problems"]
    assert problems["verdict"] is False
    row = next(r for r in problems["rows"] if r["source"] == "item_school")
    assert set(row) >= {"title", "owner", "deadline", "state", "state_label", "school_code", "close_note"}
    empty = selectors.report_sections(survey.district, YEAR, "basic-2012")
    assert empty["guarantee"]["has_data"] is False and empty["guarantee"]["rows"] == []


def test_overview_has_the_four_parts_and_what_is_missing(district_a: District, school_a1: School) -> None:
    save_statistics(school_a1)
    balance_recompute(districts=[district_a], year=YEAR)
    data = selectors.overview(district_a, YEAR, profile())
    parts = data["parts"]
    assert set(parts) == {"resources", "guarantee", "quality", "veto", "recognition"}
    assert parts["resources"]["missing"] == ["1 所学校的统计数据尚未审核,结果为预览"]
    assert parts["recognition"]["missing"] == ["尚未开展社会认可度调查"]
    assert any(m.startswith("G01 ") for m in parts["guarantee"]["missing"])
    assert data["verdict"] is None


def test_respondent_tokens_are_unique_and_long(survey: Survey) -> None:
    link = SurveyLink.objects.filter(survey=survey).first()
    assert link is not None and len(link.token) >= 20
    tokens = {survey_services.respondent_token_issue(link=link).token for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 30 for t in tokens)
    assert RespondentToken.objects.count() == 20
