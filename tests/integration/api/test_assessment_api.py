"""API: the county problem list and the survey results (/api/v1/problems/, /api/v1/surveys/).

A district's bureau, inspectors and administrators read them; the bureau adds, updates and
closes problems; outsiders see nothing and change nothing. Survey figures are those of the
survey page; single answers are never shown."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessment.models import Problem, Survey, SurveyLink
from assessment.survey import services as survey_services
from core.models import User
from schools.models import District, School
from tests.factories import YEAR, make_problem

pytestmark = pytest.mark.django_db

PROBLEMS = reverse("api:problem-list")
SURVEYS = reverse("api:survey-list")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def problem(district_a: District, school_a1: School, bureau_user: User) -> Problem:
    return make_problem(
        district_a, "功能室器材不足", detail="音乐室缺少钢琴", owner="城关一小", school=school_a1, user=bureau_user
    )


@pytest.fixture
def survey(district_a: District, school_a1: School, bureau_user: User) -> Survey:
    district_a.resident_population = 20_000
    district_a.save()
    survey = survey_services.survey_open(district=district_a, year=YEAR, user=bureau_user)
    link = SurveyLink.objects.get(survey=survey, questionnaire="social", school=school_a1)
    for option in ("5", "5", "1"):
        token = survey_services.respondent_token_issue(link=link)
        raw = {f"q_{q['key']}": option for q in survey_services.questionnaire_of(link)["questions"]}
        raw.update(group="parent", grade="4")
        survey_services.response_submit(
            token=token.token, raw=raw, link=link, now=token.issued_at + datetime.timedelta(seconds=60)
        )
    return survey


def test_the_bureau_adds_updates_and_closes_a_problem(
    bureau_user: User, district_a: District, school_a1: School
) -> None:
    client = client_for(bureau_user)
    created = post(
        client,
        PROBLEMS,
        {"district_code": district_a.code, "year": YEAR, "title": "校舍漏雨", "school_code": school_a1.code},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["source"], body["state"], body["school_code"]) == ("manual", "open", school_a1.code)
    url = reverse("api:problem-update-problem", args=[body["id"]])
    updated = post(client, url, {"owner": "总务处", "deadline": f"{YEAR + 1}-06-30", "state": "in_progress"})
    assert updated.status_code == 200 and updated.json()["state"] == "in_progress"
    close = reverse("api:problem-close", args=[body["id"]])
    assert post(client, close, {"note": ""}).status_code == 400  # a note is required
    closed = post(client, close, {"note": "已修缮屋顶"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert post(client, url, {"owner": "x", "deadline": None, "state": "open"}).status_code == 400  # closed now
    listed = client.get(PROBLEMS, {"state": "closed", "district": district_a.code}).json()["results"]
    assert [p["title"] for p in listed] == ["校舍漏雨"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"school_code": "9999999999"}, "school_code"),
        ({"deadline": "下个月"}, "deadline"),
        ({"year": "去年"}, "year"),
    ],
)
def test_bad_problem_input_says_which_field(
    bureau_user: User, district_a: District, body: dict[str, Any], field: str
) -> None:
    data = {"district_code": district_a.code, "year": YEAR, "title": "问题", **body}
    response = post(client_for(bureau_user), PROBLEMS, data)
    assert response.status_code == 400 and field in str(response.json())
    assert not Problem.objects.exists()


def test_inspectors_read_but_do_not_change_problems(inspector: User, problem: Problem, district_a: District) -> None:
    client = client_for(inspector)
    assert client.get(reverse("api:problem-detail", args=[problem.pk])).json()["title"] == "功能室器材不足"
    assert post(client, reverse("api:problem-close", args=[problem.pk]), {"note": "督学关闭"}).status_code == 403
    assert post(client, PROBLEMS, {"district_code": district_a.code, "year": YEAR, "title": "x"}).status_code == 403
    assert Problem.objects.get(pk=problem.pk).state == "open" and Problem.objects.count() == 1


def test_outsiders_and_principals_see_no_problems(
    other_bureau_user: User, outsider_inspector: User, principal: User, problem: Problem, district_a: District
) -> None:
    for user in (other_bureau_user, outsider_inspector, principal):
        client = client_for(user)
        assert client.get(PROBLEMS).json()["results"] == []
        assert client.get(reverse("api:problem-detail", args=[problem.pk])).status_code == 404
        response = post(client, reverse("api:problem-close", args=[problem.pk]), {"note": "越权"})
        assert response.status_code == 404
        response = post(client, PROBLEMS, {"district_code": district_a.code, "year": YEAR, "title": "越权"})
        assert response.status_code == 404
    assert Problem.objects.count() == 1 and Problem.objects.get().state == "open"


def test_survey_results_are_the_figures_of_the_survey_page(inspector: User, survey: Survey) -> None:
    response = client_for(inspector).get(SURVEYS)
    assert response.status_code == 200
    (item,) = response.json()["results"]
    results = item["results"]
    assert (item["district_code"], item["year"], item["population"]) == ("110101", YEAR, 20_000)
    assert results["responses"] == 3 and results["by_group"] == {"parent": 3}
    assert results["target"] == 30  # 1.5‰ of 20,000
    # 3 of the 30 questionnaires the plan asks for: the rate so far, not judged (standards.md §3.5)
    assert results["rate"] == pytest.approx(2 / 3) and results["verdict"] is None
    assert results["tallies"]["parent"] == [2, 3]
    assert all(len(row) == 4 for row in results["counts"])
    assert "token" not in str(item) and "answers" not in item


def test_outsiders_get_no_survey(other_bureau_user: User, principal: User, survey: Survey) -> None:
    for user in (other_bureau_user, principal):
        client = client_for(user)
        assert client.get(SURVEYS).json()["results"] == []
        assert client.get(reverse("api:survey-detail", args=[survey.pk])).status_code == 404
