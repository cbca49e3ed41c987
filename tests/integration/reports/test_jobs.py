"""Report jobs: same inputs reuse the stored file (no second render), changed inputs make a new
one, failures say why, and only those who may see a district or school get its reports."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import Role, User
from reports import services
from reports.models import JobStatus, ReportJob
from schools import services as school_services
from schools.models import AnnualStatistics, District, School, Status
from tests.factories import make_district, make_user
from tests.integration.reports.conftest import DEMO_YEAR, pdf_text

PROFILE = "quality-2017"


def request(district: District, *, school: School | None = None, fmt: str = "pdf", year: int = DEMO_YEAR) -> ReportJob:
    return services.report_request(
        user=None,
        kind="school" if school else "county",
        fmt=fmt,
        district=district,
        school=school,
        year=year,
        profile_name=PROFILE,
    )


def requested(district: District, django_capture_on_commit_callbacks: Any, **kwargs: Any) -> ReportJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = request(district, **kwargs)
    job.refresh_from_db()
    return job


def user(username: str, role: str, **links: Any) -> Client:
    person = make_user(username, role, **links)
    client = Client()
    client.force_login(person)
    return client


def test_same_inputs_reuse_the_stored_file_without_a_second_render(
    demo: District,
    renders: list[dict[str, Any]],
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = requested(demo, django_capture_on_commit_callbacks)
    assert first.status == JobStatus.DONE and first.progress == 100
    stored = media_root / first.file
    assert stored.read_bytes() == b"%PDF-1.7 fake 1"
    again = requested(demo, django_capture_on_commit_callbacks)
    assert again.pk == first.pk
    assert len(renders) == 1
    assert ReportJob.objects.count() == 1


def test_changed_inputs_make_a_new_report(
    demo: District,
    renders: list[dict[str, Any]],
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = requested(demo, django_capture_on_commit_callbacks)
    stats = AnnualStatistics.objects.get(school__code="1301880010", year=DEMO_YEAR)
    assert stats.status == Status.SUBMITTED
    bureau = User.objects.get(username="bureau")
    with django_capture_on_commit_callbacks(execute=True):
        school_services.statistics_approve(stats=stats, user=bureau)  # and the recompute it triggers
    second = requested(demo, django_capture_on_commit_callbacks)
    assert second.pk != first.pk and second.fingerprint != first.fingerprint
    assert second.status == JobStatus.DONE and second.file != first.file
    assert len(renders) == 2
    assert (media_root / first.file).exists()  # the earlier report stays available


def test_a_new_rule_version_makes_a_new_report(
    demo: District, renders: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    from indicators.models import RuleProfile
    from indicators.services import balance_recompute, profile_update

    first = requested(demo, django_capture_on_commit_callbacks)
    profile = RuleProfile.objects.get(name=PROFILE)
    definition = dict(profile.current_version().definition)
    definition["indicators"] = [dict(i) for i in definition["indicators"]]
    definition["indicators"][0]["standards"] = {"primary": 4.3, "junior": 5.3}
    profile_update(profile=profile, definition=definition, user=None, note="提高标准")
    balance_recompute(districts=[demo], year=DEMO_YEAR)  # the nightly run, for a default profile
    second = requested(demo, django_capture_on_commit_callbacks)
    assert second.fingerprint != first.fingerprint and len(renders) == 2


def test_pdf_and_spreadsheet_and_school_reports_are_separate_files(
    demo: District, renders: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    school = School.objects.get(code="1301880001")
    jobs = [
        requested(demo, django_capture_on_commit_callbacks),
        requested(demo, django_capture_on_commit_callbacks, fmt="xlsx"),
        requested(demo, django_capture_on_commit_callbacks, school=school),
    ]
    assert len({j.fingerprint for j in jobs}) == 3
    assert [c["kind"] for c in renders] == ["county", "county", "school"]


def test_a_failing_render_leaves_the_job_failed_with_its_reason(
    demo: District, django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch("reports.services.render_document", side_effect=RuntimeError("字体文件损坏")):
        job = requested(demo, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.FAILED
    assert "RuntimeError" in job.reason and "字体文件损坏" in job.reason
    assert job.file == ""


def stop_heartbeat(job: ReportJob, *, attempts: int = 1) -> None:
    """What a worker killed mid-render leaves: the job rendering, its heartbeat no longer renewed."""
    stopped = timezone.now() - timedelta(seconds=services.heartbeat_stale_seconds() + 1)
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RENDERING, started_at=stopped, heartbeat_at=stopped, progress=40, attempts=attempts
    )


def test_an_interrupted_render_is_queued_again_by_the_next_request_and_the_page_says_so(
    demo: District, renders: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch("reports.services._enqueue"):
        job = requested(demo, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.QUEUED
    assert request(demo).pk == job.pk  # an equal request joins the queued job
    stop_heartbeat(job)
    with mock.patch("reports.services._enqueue") as enqueue:
        again = requested(demo, django_capture_on_commit_callbacks)
    assert again.pk == job.pk and again.status == JobStatus.QUEUED and again.progress == 0
    assert again.reason == services.INTERRUPTED and enqueue.call_args.args == (job.pk,)
    bureau = user("bureau_demo", Role.BUREAU, district=demo)
    status = bureau.get(reverse("reports:job_status", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").json()
    assert status["reason"] == "Interrupted, queued again"
    page = bureau.get(reverse("reports:district_reports", args=[demo.code]))
    assert "渲染中断,已重新排队" in page.content.decode()
    done = services.report_render(job_id=job.pk)
    assert done.status == JobStatus.DONE and done.reason == "" and done.attempts == 2 and len(renders) == 1


def test_a_render_whose_worker_still_beats_is_joined_not_queued_again(
    demo: District, renders: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch("reports.services._enqueue"):
        job = requested(demo, django_capture_on_commit_callbacks)
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RENDERING, heartbeat_at=timezone.now(), attempts=1)
    with mock.patch("reports.services._enqueue") as enqueue:
        assert request(demo).pk == job.pk
    assert not enqueue.called
    # The same task delivered a second time (visibility timeout) finds it claimed: no second render.
    assert services.report_render(job_id=job.pk).status == JobStatus.RENDERING
    assert renders == []


def test_the_catch_up_job_queues_interrupted_renders_and_gives_up_after_max_attempts(
    demo: District, renders: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch("reports.services._enqueue"):
        first = requested(demo, django_capture_on_commit_callbacks)
        second = requested(demo, django_capture_on_commit_callbacks, fmt="xlsx")
    stop_heartbeat(first)
    stop_heartbeat(second, attempts=services.MAX_ATTEMPTS)
    with mock.patch("reports.services._enqueue") as enqueue, django_capture_on_commit_callbacks(execute=True):
        assert services.reports_requeue_interrupted() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == JobStatus.QUEUED and first.reason == services.INTERRUPTED
    assert [c.args for c in enqueue.call_args_list] == [(first.pk,)]
    assert second.status == JobStatus.FAILED and second.reason == services.INTERRUPTED_TOO_OFTEN
    assert services.report_render(job_id=second.pk).status == JobStatus.FAILED  # not claimed again
    assert services.reports_requeue_interrupted() == 0


def test_a_queued_job_whose_task_was_lost_is_sent_again(
    demo: District, renders: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch("reports.services._enqueue"):
        job = requested(demo, django_capture_on_commit_callbacks)
    ReportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - services.STUCK_AFTER - timedelta(minutes=1))
    with mock.patch("reports.services._enqueue") as enqueue, django_capture_on_commit_callbacks(execute=True):
        assert services.reports_requeue_interrupted() == 1
    assert enqueue.call_args.args == (job.pk,)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.reason == ""


def test_a_year_without_results_is_refused(demo: District) -> None:
    with pytest.raises(ValidationError, match="尚无"):
        request(demo, year=2031)


# --- pages and access ------------------------------------------------------------------------


def test_inspector_requests_the_county_report_watches_it_and_downloads_it(
    demo: District, media_root: Path, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(User.objects.get(username="inspector"))
    page = reverse("reports:district_reports", args=[demo.code])
    assert client.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the task runs in-process (eager)
        response = client.post(page, {"kind": "county", "year": DEMO_YEAR, "profile": PROFILE, "fmt": "pdf"})
    assert response.status_code == 302
    job = ReportJob.objects.get()
    status = client.get(reverse("reports:job_status", args=[job.pk])).json()
    assert status["status"] == "done" and status["progress"] == 100 and status["pages"] >= 10
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/pdf"
    data = download.getvalue()
    assert data.startswith(b"%PDF")
    assert "清源县" in pdf_text(data, tmp_path)


def test_other_districts_inspector_and_principals_see_nothing_of_the_county(
    demo: District, renders: list[dict[str, Any]]
) -> None:
    job = request(demo)
    other = make_district("120102", "丙测试县")
    outsider = make_user("inspector_other", Role.INSPECTOR)
    outsider.inspected_districts.add(other)
    clients = {"outsider": Client(), "principal": Client()}
    clients["outsider"].force_login(outsider)
    clients["principal"].force_login(User.objects.get(username="principal"))
    for client in clients.values():
        assert client.get(reverse("reports:district_reports", args=[demo.code])).status_code == 404
        assert client.get(reverse("reports:job_status", args=[job.pk])).status_code == 404
        assert client.get(reverse("reports:job_download", args=[job.pk])).status_code == 404
        data = {"kind": "county", "year": DEMO_YEAR, "profile": PROFILE, "fmt": "pdf"}
        assert client.post(reverse("reports:district_reports", args=[demo.code]), data).status_code == 404


def test_principals_get_their_own_schools_report_only(
    demo: District, renders: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    own = School.objects.get(code="1301880001")
    other = School.objects.get(code="1301880002")
    principal = Client()
    principal.force_login(User.objects.get(username="principal"))
    page = reverse("reports:school_reports", args=[own.code])
    assert principal.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = principal.post(page, {"year": DEMO_YEAR, "profile": PROFILE, "fmt": "pdf"})
    assert response.status_code == 302
    job = ReportJob.objects.get(school=own)
    assert principal.get(reverse("reports:job_download", args=[job.pk])).status_code == 200
    other_principal = Client()
    other_principal.force_login(make_user("principal_other", Role.PRINCIPAL, school=other))
    assert other_principal.get(page).status_code == 404
    assert other_principal.get(reverse("reports:job_status", args=[job.pk])).status_code == 404
    assert other_principal.get(reverse("reports:job_download", args=[job.pk])).status_code == 404
    other_job = request(demo, school=other)
    assert principal.get(reverse("reports:job_status", args=[other_job.pk])).status_code == 404


def test_bureau_staff_get_their_districts_reports(demo: District, renders: list[dict[str, Any]]) -> None:
    bureau = Client()
    bureau.force_login(User.objects.get(username="bureau"))
    assert bureau.get(reverse("reports:district_reports", args=[demo.code])).status_code == 200
    job = request(demo)
    assert bureau.get(reverse("reports:job_status", args=[job.pk])).status_code == 200


def test_render_report_command_writes_the_pdf(demo: District, tmp_path: Path) -> None:
    out = tmp_path / "county.pdf"
    stdout = StringIO()
    call_command("render_report", district=demo.code, year=DEMO_YEAR, profile=PROFILE, output=str(out), stdout=stdout)
    assert out.read_bytes().startswith(b"%PDF")
    assert "pages" in stdout.getvalue()
    school_out = tmp_path / "school.xlsx"
    call_command(
        "render_report",
        district=demo.code,
        year=DEMO_YEAR,
        profile=PROFILE,
        school="1301880001",
        output=str(school_out),
        stdout=StringIO(),
    )
    assert school_out.read_bytes().startswith(b"PK")
