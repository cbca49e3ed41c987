"""The demo looks like the product (issue #14, item 8): styled error pages with DEBUG off, a report
request that answers at once without a broker, job lists that name the rule."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client, override_settings
from django.urls import path, reverse

from reports import services
from reports.models import JobStatus, ReportJob
from schools.models import District, School
from tests.factories import YEAR, make_school, save_statistics

pytestmark = pytest.mark.django_db


def boom(request: Any) -> Any:
    raise RuntimeError("boom")


urlpatterns = [path("boom/", boom)]


@pytest.fixture
def county(school_a1: School, school_a2: School, django_capture_on_commit_callbacks: Any) -> District:
    with django_capture_on_commit_callbacks(execute=True):
        third = make_school(school_a1.district, "1101010009", "甲县第三小学", "primary")
        save_statistics(school_a1)
        save_statistics(school_a2, school_type="junior")
        save_statistics(third, students_primary=300, teaching_area=900)
    return school_a1.district


@override_settings(DEBUG=False)
def test_a_missing_page_is_the_projects_own_404(bureau_client: Client) -> None:
    response = bureau_client.get("/no/such/page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "没有找到该页面" in text and "css/app.css" in text and "Traceback" not in text


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_server_error_is_the_projects_own_500() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "服务器出错" in text and "css/app.css" in text and "boom" not in text


def test_without_a_broker_the_request_answers_at_once_and_the_render_runs_beside_it(
    county: District, bureau_client: Client, settings: Any, django_capture_on_commit_callbacks: Any, renders: list[Any]
) -> None:
    settings.REPORT_RENDER_IN_THREAD = True
    started: list[tuple[Any, tuple[Any, ...]]] = []

    class Thread:
        def __init__(self, *, target: Any, args: tuple[Any, ...], **_: Any) -> None:
            started.append((target, args))

        def start(self) -> None:  # the render is run below, after the answer
            pass

    url = reverse("reports:district_reports", args=[county.code])
    form = {"kind": "county", "year": YEAR, "profile": "quality-2017", "fmt": "pdf", "school": ""}
    with mock.patch("reports.services.threading.Thread", Thread), django_capture_on_commit_callbacks(execute=True):
        response = bureau_client.post(url, form)
    assert response.status_code == 302 and renders == []  # answered without rendering
    job = ReportJob.objects.get()
    assert job.status == JobStatus.QUEUED and started == [(services._render_in_thread, (job.pk,))]
    page = bureau_client.get(response["Location"]).content.decode()
    assert f'id="job-{job.pk}"' in page and 'class="job-progress"' in page  # the page polls its progress
    services.report_render(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and len(renders) == 1


def test_job_lists_name_the_rule_not_its_slug(
    county: District, bureau_client: Client, django_capture_on_commit_callbacks: Any, renders: list[Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.report_request(
            user=None, kind="county", fmt="pdf", district=county, school=None, year=YEAR, profile_name="quality-2017"
        )
    page = bureau_client.get(reverse("reports:district_reports", args=[county.code])).content.decode()
    jobs = page[page.index('id="report-jobs"') :]
    assert "优质均衡" in jobs and '<td class="mono">quality-2017</td>' not in jobs


def _cover(district: District, tmp_path: Any) -> str:
    from tests.integration.reports.conftest import pdf_text

    data, _pages = services.render_document(
        kind="county", fmt="pdf", district=district, school=None, year=YEAR, profile_name="quality-2017"
    )
    return pdf_text(data, tmp_path).split("\f")[0]


def test_the_county_cover_has_the_issuing_body_and_date_and_says_preview_only_on_drafts(
    county: District, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from schools import services as school_services
    from schools.models import AnnualStatistics

    today = timezone.localdate()
    cover = _cover(county, tmp_path)
    assert f"{county.name}教育局" in cover and f"{today.year}年{today.month}月{today.day}日" in cover
    assert "预览版" in cover  # its statistics are not approved yet
    with django_capture_on_commit_callbacks(execute=True):
        for stats in AnnualStatistics.objects.filter(school__district=county, year=YEAR):
            school_services.statistics_submit(stats=stats, user=None)
            school_services.statistics_approve(stats=stats, user=None)
    cover = _cover(county, tmp_path)
    assert f"{county.name}教育局" in cover and "预览版" not in cover
