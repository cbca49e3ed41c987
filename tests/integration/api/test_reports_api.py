"""API: report jobs (/api/v1/reports/): ask for a report, follow its job, download its file.

Same rules as the report pages: county reports for the district's bureau, inspectors and
administrators; school reports for the school's principal too. Unchanged inputs answer 200 with
the finished job; a new report answers 202 with its job. Rendering is replaced by a small fake
PDF here (the `renders` fixture; the renderer has its own tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import User
from reports.models import JobStatus, ReportJob
from schools.models import District, School
from tests.factories import YEAR, save_statistics

pytestmark = pytest.mark.django_db

REPORTS = reverse("api:report-list")
PROFILE = "quality-2017"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def results(school_a1: School, school_a2: School, school_b1: School, django_capture_on_commit_callbacks: Any) -> None:
    """Statistics of both districts and the balance results they give (recomputed in-process)."""
    with django_capture_on_commit_callbacks(execute=True):
        save_statistics(school_a1, YEAR)
        save_statistics(school_a2, YEAR, school_type="junior")
        save_statistics(school_b1, YEAR)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ask(client: Client, **body: Any) -> Any:
    data = {"kind": "county", "fmt": "pdf", "year": YEAR, "profile": PROFILE, **body}
    return client.post(REPORTS, data, content_type="application/json")


def test_a_county_report_is_queued_then_reused_and_downloaded(
    inspector: User,
    district_a: District,
    results: None,
    renders: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(inspector)
    with django_capture_on_commit_callbacks(execute=True):  # the queued render runs in-process
        first = ask(client, district_code=district_a.code)
    assert first.status_code == 202, first.json()
    job = first.json()
    assert first["Location"] == reverse("api:report-detail", args=[job["id"]])
    assert (job["kind"], job["district_code"], job["school_code"], job["year"]) == ("county", "110101", None, YEAR)
    status = client.get(first["Location"]).json()
    assert status["status"] == JobStatus.DONE and status["pages"] == 1
    assert status["download_url"] == reverse("api:report-download", args=[job["id"]])

    again = ask(client, district_code=district_a.code)
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    assert len(renders) == 1

    download = client.get(status["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.getvalue() == b"%PDF-1.7 fake 1"
    assert "attachment" in download["Content-Disposition"]
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_principals_ask_for_their_own_schools_report_only(
    principal: User, school_a1: School, school_a2: School, district_a: District, results: None, renders: Any
) -> None:
    client = client_for(principal)
    mine = ask(client, kind="school", district_code=district_a.code, school_code=school_a1.code)
    assert mine.status_code == 202 and mine.json()["school_code"] == school_a1.code
    assert ask(client, kind="school", district_code=district_a.code, school_code=school_a2.code).status_code == 404
    assert ask(client, district_code=district_a.code).status_code == 404  # the county report is not theirs
    listed = client.get(REPORTS).json()["results"]
    assert [j["school_code"] for j in listed] == [school_a1.code]


def test_the_list_follows_the_callers_scope(
    bureau_user: User,
    other_bureau_user: User,
    outsider_inspector: User,
    admin_user: User,
    principal: User,
    district_a: District,
    school_a2: School,
    results: None,
    renders: Any,
) -> None:
    bureau = client_for(bureau_user)
    county = ask(bureau, district_code=district_a.code).json()
    school = ask(bureau, kind="school", district_code=district_a.code, school_code=school_a2.code).json()
    assert {j["id"] for j in bureau.get(REPORTS).json()["results"]} == {county["id"], school["id"]}
    for outsider in (other_bureau_user, outsider_inspector):
        client = client_for(outsider)
        assert client.get(REPORTS).json()["results"] == []
        for job in (county, school):
            assert client.get(reverse("api:report-detail", args=[job["id"]])).status_code == 404
            assert client.get(reverse("api:report-download", args=[job["id"]])).status_code == 404
    assert client_for(principal).get(REPORTS).json()["results"] == []  # school_a2 is not theirs
    assert len(client_for(admin_user).get(REPORTS, {"kind": "school"}).json()["results"]) == 1
    assert Client().get(REPORTS).status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"profile": "no-such-profile"}, "该区县未采用此评估规则"),
        ({"year": YEAR + 5}, "尚无"),
        ({"kind": "school"}, "学校报告需要选择学校"),
        ({"kind": "school", "school_code": "1201010001"}, ""),  # district B's school: not in scope
        ({"fmt": "docx"}, ""),
        ({"year": "二〇二五"}, ""),
    ],
)
def test_bad_requests_say_why_and_create_nothing(
    bureau_user: User, district_a: District, results: None, renders: Any, body: dict[str, Any], message: str
) -> None:
    response = ask(client_for(bureau_user), district_code=district_a.code, **body)
    assert response.status_code in (400, 404)
    if message:
        assert response.status_code == 400 and message in str(response.json())
    assert ReportJob.objects.count() == 0 and renders == []


def test_a_body_that_is_not_an_object_is_refused(bureau_user: User) -> None:
    response = client_for(bureau_user).post(REPORTS, ["county"], content_type="application/json")
    assert response.status_code == 400


def test_a_school_named_with_another_district_is_refused(
    admin_user: User, district_b: District, school_a1: School, results: None, renders: Any
) -> None:
    response = ask(client_for(admin_user), kind="school", district_code=district_b.code, school_code=school_a1.code)
    assert response.status_code == 400 and "不属于" in str(response.json())


def test_no_download_before_the_file_exists(bureau_user: User, district_a: District) -> None:
    job = ReportJob.objects.create(
        kind="county", fmt="pdf", district=district_a, year=YEAR, profile_name=PROFILE, fingerprint="f" * 64
    )
    client = client_for(bureau_user)
    assert client.get(reverse("api:report-detail", args=[job.pk])).json()["download_url"] is None
    assert client.get(reverse("api:report-download", args=[job.pk])).status_code == 404
