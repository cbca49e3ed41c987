"""Pruning stored reports: the newest of each report keeps its file, superseded ones lose it after
REPORT_KEEP_DAYS and stay listed as cleared, leftovers no job names go too."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from core.models import Role
from reports import selectors, services
from reports.models import JobStatus, ReportJob
from schools.models import District
from tests.factories import make_user
from tests.integration.reports.conftest import DEMO_YEAR

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def done_job(
    district: District, fingerprint: str, *, days_ago: float, fmt: str = "pdf", year: int = DEMO_YEAR
) -> ReportJob:
    finished = NOW - timedelta(days=days_ago)
    relative = services.store_file(fingerprint, fmt, b"%PDF-1.7 " + fingerprint.encode())
    job = ReportJob.objects.create(
        kind="county",
        fmt=fmt,
        district=district,
        year=year,
        profile_name="quality-2017",
        fingerprint=fingerprint,
        status=JobStatus.DONE,
        file=relative,
        size=10,
        finished_at=finished,
    )
    ReportJob.objects.filter(pk=job.pk).update(created_at=finished)
    return job


def exists(job: ReportJob, media_root: Path) -> bool:
    return (media_root / job.file).is_file()


def test_the_newest_report_is_kept_and_old_superseded_ones_are_cleared(demo: District, media_root: Path) -> None:
    oldest = done_job(demo, "a" * 64, days_ago=90)
    old = done_job(demo, "b" * 64, days_ago=40)
    recent = done_job(demo, "c" * 64, days_ago=5)  # superseded, but younger than the keep time
    newest = done_job(demo, "d" * 64, days_ago=60)  # an XLSX: another report, the newest of its own
    newest.fmt = "xlsx"
    newest.save()
    current = done_job(demo, "e" * 64, days_ago=1)
    paths = {job.pk: media_root / job.file for job in (oldest, old, recent, newest, current)}

    result = services.reports_prune(keep_days=30, now=NOW)

    assert result.jobs_cleared == 2 and result.files_deleted == 2 and result.bytes_freed > 0
    assert not paths[oldest.pk].exists() and not paths[old.pk].exists()
    assert all(paths[j.pk].exists() for j in (recent, newest, current))
    cleared = ReportJob.objects.get(pk=old.pk)
    assert cleared.status == JobStatus.DONE and cleared.file == "" and selectors.job_file(cleared) is None
    # The newest report stays whatever its age.
    later = services.reports_prune(keep_days=0, now=NOW + timedelta(days=400))
    assert later.jobs_cleared == 1  # `recent`
    assert exists(ReportJob.objects.get(pk=current.pk), media_root)
    assert exists(ReportJob.objects.get(pk=newest.pk), media_root)


def test_a_file_shared_with_a_kept_report_is_not_deleted(demo: District, media_root: Path) -> None:
    # Files are named by fingerprint: a re-render of the same inputs writes the same file.
    old = done_job(demo, "f" * 64, days_ago=80)
    done_job(demo, "0" * 64, days_ago=50)
    current = done_job(demo, "f" * 64, days_ago=2)
    assert old.file == current.file
    services.reports_prune(keep_days=30, now=NOW)
    assert ReportJob.objects.get(pk=old.pk).file == ""
    assert exists(current, media_root)


def test_leftover_files_go_after_a_day_at_the_soonest(demo: District, media_root: Path) -> None:
    kept = done_job(demo, "1" * 64, days_ago=3)
    folder = media_root / "reports" / "zz"
    folder.mkdir(parents=True)
    partial, stray, fresh = folder / ".tmp-abc", folder / ("9" * 64 + ".pdf"), folder / ".tmp-new"
    for path, age in ((partial, 3), (stray, 45), (fresh, 0.1)):
        path.write_bytes(b"x" * 100)
        stamp = (NOW - timedelta(days=age)).timestamp()
        os.utime(path, (stamp, stamp))
    result = services.reports_prune(keep_days=0, now=NOW)
    assert not partial.exists() and not stray.exists()
    assert fresh.exists()  # a worker may be writing it right now
    assert exists(kept, media_root) and result.files_deleted == 2


def test_cleared_reports_are_listed_without_a_download_and_a_new_request_renders_again(
    demo: District, media_root: Path
) -> None:
    old = done_job(demo, "2" * 64, days_ago=40)
    done_job(demo, "3" * 64, days_ago=35)
    services.reports_prune(keep_days=30, now=NOW)
    client = Client()
    client.force_login(make_user("bureau-prune", Role.BUREAU, district=demo))
    page = client.get(reverse("reports:district_reports", args=[demo.code]))
    assert "文件已清理" in page.content.decode()
    assert client.get(reverse("reports:job_download", args=[old.pk])).status_code == 404
    status = client.get(reverse("reports:job_status", args=[old.pk])).json()
    assert status["status"] == "done" and status["download_url"] is None
    assert selectors.reusable_job(old.fingerprint) is None


def test_the_command_prunes_and_refuses_negative_days(demo: District, media_root: Path) -> None:
    done_job(demo, "4" * 64, days_ago=400)
    done_job(demo, "5" * 64, days_ago=1)
    out = StringIO()
    call_command("prune_reports", "--days", "30", stdout=out)
    assert "1 superseded reports cleared" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("prune_reports", "--days", "-1")
