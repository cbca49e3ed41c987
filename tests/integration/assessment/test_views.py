"""County assessment pages through the test client: access (another district's bureau 404,
principals no county page, inspectors read-only), public questionnaire pages without login but
with a valid token, and bad input answered in Chinese with nothing saved."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from assessment import services
from assessment.models import ItemEntry, Problem, RespondentToken, Survey, SurveyLink, SurveyResponse
from assessment.survey import services as survey_services
from core.models import User
from schools.models import District, School
from tests.conftest import login
from tests.factories import YEAR, save_statistics

pytestmark = pytest.mark.django_db
PROFILE = "quality-2017"


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    cache.clear()  # rate-limit counters


@pytest.fixture
def survey(district_a: District, school_a1: School, bureau_user: User) -> Survey:
    survey = survey_services.survey_open(district=district_a, year=YEAR, user=bureau_user)
    survey.min_fill_seconds = 0
    survey.save()
    return survey


def county_urls(code: str) -> list[str]:
    return [
        reverse("assessment:home", args=[code]),
        reverse("assessment:overview", args=[code, YEAR, PROFILE]),
        reverse("assessment:checklist", args=[code, YEAR, PROFILE]),
        reverse("assessment:entry", args=[code, YEAR, PROFILE, "G09"]),
        reverse("assessment:survey", args=[code, YEAR]),
        reverse("assessment:problems", args=[code]),
    ]


def test_bureau_sees_its_county_pages(bureau_client: Client, district_a: District, school_a1: School) -> None:
    save_statistics(school_a1, max_class_size_primary=46)
    for url in county_urls(district_a.code):
        response = bureau_client.get(url, follow=True)
        assert response.status_code == 200, url
    page = bureau_client.get(reverse("assessment:checklist", args=[district_a.code, YEAR, PROFILE])).content.decode()
    assert "小学最大班额 46 人,超过 45 人" in page
    assert "政府保障程度" in page and "一票否决" in page


def test_another_districts_bureau_gets_404(other_bureau_user: User, district_a: District) -> None:
    client = login(other_bureau_user)
    for url in county_urls(district_a.code):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("assessment:survey", args=[district_a.code, YEAR]), {"action": "open"}).status_code == 404
    )
    assert not Survey.objects.exists()


def test_principals_have_no_county_pages(principal_client: Client, district_a: District) -> None:
    for url in county_urls(district_a.code):
        assert principal_client.get(url).status_code == 404, url


def test_anonymous_users_are_sent_to_login(client: Client, district_a: District) -> None:
    response = client.get(reverse("assessment:overview", args=[district_a.code, YEAR, PROFILE]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_inspectors_read_but_do_not_change(inspector_client: Client, district_a: District, survey: Survey) -> None:
    assert (
        inspector_client.get(reverse("assessment:overview", args=[district_a.code, YEAR, PROFILE])).status_code == 200
    )
    survey_page = inspector_client.get(reverse("assessment:survey", args=[district_a.code, YEAR]))
    assert survey_page.status_code == 200 and "保存抽样方案" not in survey_page.content.decode()
    posts = [
        (reverse("assessment:entry", args=[district_a.code, YEAR, PROFILE, "G09"]), {"in_value": "100"}),
        (reverse("assessment:survey", args=[district_a.code, YEAR]), {"action": "close"}),
        (reverse("assessment:problems", args=[district_a.code]), {"title": "x"}),
        (reverse("assessment:problems_sync", args=[district_a.code, YEAR]), {}),
    ]
    for url, data in posts:
        assert inspector_client.post(url, data).status_code == 403, url
    assert not ItemEntry.objects.exists() and not Problem.objects.exists()
    assert Survey.objects.get().is_open


def test_only_administrators_change_scoring_and_the_checklist(
    bureau_client: Client, admin_user: User, district_a: District, survey: Survey
) -> None:
    url = reverse("assessment:survey", args=[district_a.code, YEAR])
    data = {"action": "scoring", "positive": ["5"], "rate_basis": "overall", "threshold": "90"}
    assert bureau_client.post(url, data).status_code == 403
    assert bureau_client.get(reverse("assessment:checklist_edit", args=[PROFILE])).status_code == 403
    admin = login(admin_user)
    assert admin.post(url, data).status_code == 302
    survey.refresh_from_db()
    assert survey.positive_options == ["5"] and float(survey.threshold) == 0.9
    assert admin.get(reverse("assessment:checklist_edit", args=[PROFILE])).status_code == 200


def test_an_entry_out_of_range_is_answered_in_chinese_and_not_saved(
    bureau_client: Client, district_a: District
) -> None:
    url = reverse("assessment:entry", args=[district_a.code, YEAR, PROFILE, "G15"])
    response = bureau_client.post(url, {"in_value": "185", "in_care": "true"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "数据未保存,请修改标出的项目" in page
    assert "不能大于 100%" in page
    assert 'value="185"' in page  # what was typed is kept
    assert not ItemEntry.objects.exists()
    response = bureau_client.post(url, {"in_value": "88.5", "in_care": "true"})
    assert response.status_code == 302
    assert ItemEntry.objects.get().values == {"value": "88.5", "care": "true"}


def test_an_oversized_evidence_file_is_refused_and_nothing_saved(
    bureau_client: Client, district_a: District, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plans import files

    monkeypatch.setattr(files, "MAX_EVIDENCE_BYTES", 1024 * 1024)
    url = reverse("assessment:entry", args=[district_a.code, YEAR, PROFILE, "G01"])
    big = SimpleUploadedFile("规划.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    with override_settings(MEDIA_ROOT=tmp_path):
        response = bureau_client.post(url, {"in_met": "true", "files": [big]})
    assert response.status_code == 400
    assert "超过 1 MB 上限" in response.content.decode()
    assert "请改正后重新选择" in response.content.decode()  # the browser dropped the chosen file
    assert 'value="true" selected' in response.content.decode()  # what was chosen is shown back
    assert not ItemEntry.objects.exists()
    assert not (tmp_path / "evidence").exists() or not any((tmp_path / "evidence").iterdir())


def test_evidence_downloads_only_inside_the_scope(
    bureau_client: Client, other_bureau_user: User, district_a: District, bureau_user: User, tmp_path: Any
) -> None:
    from assessment import selectors
    from indicators.models import RuleProfile

    spec = selectors.checklist_of(selectors.checklist_version_for(RuleProfile.objects.get(name=PROFILE))).item("G01")  # type: ignore[arg-type]
    with override_settings(MEDIA_ROOT=tmp_path):
        entry = services.item_entry_save(
            district=district_a,
            year=YEAR,
            item=spec,  # type: ignore[arg-type]
            raw={"met": "true"},
            uploads=[SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")],
            user=bureau_user,
        )
        evidence = entry.evidence.get()
        url = reverse("assessment:evidence", args=[evidence.pk])
        response = bureau_client.get(url)
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
        assert login(other_bureau_user).get(url).status_code == 404


# --- public questionnaire -------------------------------------------------------------------


def link_of(survey: Survey, questionnaire: str = "social", school: School | None = None) -> SurveyLink:
    return SurveyLink.objects.get(survey=survey, questionnaire=questionnaire, school=school)


def full_answers(link: SurveyLink, token: str) -> dict[str, str]:
    data = {f"q_{q['key']}": "4" for q in survey_services.questionnaire_of(link)["questions"]}
    data.update(respondent=token, group="parent", grade="3", website="")
    return data


def open_form(client: Client, link: SurveyLink) -> str:
    response = client.get(reverse("assessment:survey_public", args=[link.token]))
    assert response.status_code == 200
    return RespondentToken.objects.filter(link=link).latest("issued_at").token


def test_the_public_questionnaire_needs_no_login_and_takes_one_response_per_token(
    client: Client, survey: Survey, school_a1: School
) -> None:
    link = link_of(survey, school=school_a1)
    url = reverse("assessment:survey_public", args=[link.token])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "社会卷" in text and "甲县城关第一小学" in text and 'name="website"' in text
    token = RespondentToken.objects.get(link=link).token
    assert page.cookies[f"svy{link.pk}"].value == token
    # reloading keeps the same token (no new one per reload)
    client.get(url)
    assert RespondentToken.objects.filter(link=link).count() == 1

    response = client.post(url, full_answers(link, token))
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessment:survey_thanks", args=[link.token]
    )
    assert "感谢您的参与" in client.get(response["Location"]).content.decode()
    again = client.post(url, full_answers(link, token))
    assert again.status_code == 409
    assert "该问卷已经提交过,同一份问卷不能重复提交" in again.content.decode()
    assert SurveyResponse.objects.count() == 1
    # the same browser opening the link again is told it has answered
    assert client.get(url).status_code == 409


def test_a_missing_answer_is_shown_in_chinese_and_nothing_saved(
    client: Client, survey: Survey, school_a1: School
) -> None:
    link = link_of(survey, school=school_a1)
    token = open_form(client, link)
    data = full_answers(link, token)
    del data["q_q2"]
    response = client.post(reverse("assessment:survey_public", args=[link.token]), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "还有题目没有回答" in text and "请回答第 2 题" in text
    assert 'value="4" checked' in text  # the other answers are kept
    assert not SurveyResponse.objects.exists()
    assert RespondentToken.objects.get(token=token).used_at is None


@pytest.mark.parametrize("token", ["nonexistent-token", "x" * 40])
def test_an_invalid_link_token_gets_a_clear_message(client: Client, survey: Survey, token: str) -> None:
    response = client.get(reverse("assessment:survey_public", args=[token]))
    assert response.status_code == 404
    assert "链接无效或已失效" in response.content.decode()


def test_an_invalid_respondent_token_saves_nothing(client: Client, survey: Survey, school_a1: School) -> None:
    link = link_of(survey, school=school_a1)
    response = client.post(reverse("assessment:survey_public", args=[link.token]), full_answers(link, "forged"))
    assert response.status_code == 404 and "链接无效" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_flooding_is_refused(client: Client, survey: Survey, school_a1: School) -> None:
    link = link_of(survey, school=school_a1)
    url = reverse("assessment:survey_public", args=[link.token])
    with override_settings(SURVEY_RATE_LIMITS={"open_ip": (3, 600), "submit_ip": (2, 600)}):
        for _ in range(3):
            fresh = Client()
            assert fresh.get(url).status_code == 200
        refused = Client().get(url)
        assert refused.status_code == 429 and "提交过于频繁" in refused.content.decode()
        assert RespondentToken.objects.count() == 3
        tokens = list(RespondentToken.objects.values_list("token", flat=True))
        assert client.post(url, full_answers(link, tokens[0])).status_code == 302
        assert client.post(url, full_answers(link, tokens[1])).status_code == 302
        assert client.post(url, full_answers(link, tokens[2])).status_code == 429
    assert SurveyResponse.objects.count() == 2


def test_honeypot_and_minimum_time(client: Client, survey: Survey, school_a1: School) -> None:
    link = link_of(survey, school=school_a1)
    url = reverse("assessment:survey_public", args=[link.token])
    token = open_form(client, link)
    bot = client.post(url, {**full_answers(link, token), "website": "http://spam"})
    assert bot.status_code == 400 and "提交未被接受" in bot.content.decode()
    survey.min_fill_seconds = 30
    survey.save()
    hurried = client.post(url, full_answers(link, token))
    assert hurried.status_code == 400 and "提交过快" in hurried.content.decode()
    assert 'name="respondent"' in hurried.content.decode()  # the form stays, answers kept
    assert not SurveyResponse.objects.exists()
    RespondentToken.objects.filter(token=token).update(
        issued_at=RespondentToken.objects.get(token=token).issued_at - datetime.timedelta(seconds=31)
    )
    assert client.post(url, full_answers(link, token)).status_code == 302


def test_a_closed_survey_says_so(client: Client, survey: Survey, school_a1: School) -> None:
    survey_services.survey_close(survey=survey, user=None)
    response = client.get(reverse("assessment:survey_public", args=[link_of(survey, school=school_a1).token]))
    assert response.status_code == 410 and "本次调查已经结束" in response.content.decode()


def test_live_counts_and_qr_codes(bureau_client: Client, client: Client, survey: Survey, school_a1: School) -> None:
    live = reverse("assessment:survey_live", args=[survey.district.code, YEAR])
    assert bureau_client.get(live).json()["responses"] == 0
    link = link_of(survey, school=school_a1)
    token = open_form(client, link)
    client.post(reverse("assessment:survey_public", args=[link.token]), full_answers(link, token))
    data = bureau_client.get(live).json()
    assert (data["responses"], data["by_group"], data["by_area"]) == (1, {"parent": 1}, {"urban": 1})
    assert client.get(live).status_code == 302  # not public
    qr = client.get(reverse("assessment:survey_qr", args=[link.token]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    sheet = bureau_client.get(reverse("assessment:survey_links", args=[survey.district.code, YEAR]))
    assert sheet.status_code == 200 and sheet.content.decode().count("<svg") == 4


def test_problem_pages(bureau_client: Client, inspector_client: Client, district_a: District) -> None:
    url = reverse("assessment:problems", args=[district_a.code])
    response = bureau_client.post(url, {"title": "功能室无使用记录", "owner": "基教股", "problem_year": str(YEAR)})
    assert response.status_code == 302
    problem = Problem.objects.get()
    detail = reverse("assessment:problem", args=[problem.pk])
    assert inspector_client.get(detail).status_code == 200
    assert inspector_client.post(detail, {"action": "close", "note": "x"}).status_code == 403
    empty = bureau_client.post(detail, {"action": "close", "note": ""})
    assert empty.status_code == 400
    assert bureau_client.post(detail, {"action": "close", "note": "已整改"}).status_code == 302
    problem.refresh_from_db()
    assert problem.state == "closed" and problem.close_note == "已整改"
