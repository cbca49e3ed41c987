"""The heartbeat of a rendering job (issue #12, point 4): renewed from a thread while the render
runs, even when the renderer reports no progress for a while; stopped when the render ends.

Transactional: the heartbeat thread has its own database connection and must see the job row."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from unittest import mock

import pytest

from reports import services
from reports.models import JobStatus, ReportJob
from tests.factories import YEAR, make_district

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_heartbeat_is_renewed_while_a_silent_render_runs_and_stops_after(settings: Any) -> None:
    settings.REPORT_HEARTBEAT_SECONDS = 0.1
    district = make_district("110188", "心跳测试县")
    job = ReportJob.objects.create(
        kind="county", fmt="pdf", district=district, year=YEAR, profile_name="quality-2017", fingerprint="f" * 64
    )
    seen: list[datetime | None] = []

    def silent_render(**_kwargs: Any) -> tuple[bytes, int]:
        for _ in range(6):  # 0.6 s without a progress report
            time.sleep(0.1)
            seen.append(ReportJob.objects.get(pk=job.pk).heartbeat_at)
        return b"%PDF-1.7 slow", 1

    with (
        mock.patch("reports.services.render_document", side_effect=silent_render),
        mock.patch("reports.selectors.report_identity", return_value="f" * 64),
        mock.patch("reports.selectors.expected_pages", return_value=1),
    ):
        done = services.report_render(job_id=job.pk)
    assert done.status == JobStatus.DONE and done.attempts == 1
    beats = [t for t in seen if t is not None]
    assert len(set(beats)) >= 3, seen  # renewed several times during the render
    last = ReportJob.objects.get(pk=job.pk).heartbeat_at
    time.sleep(0.3)
    assert ReportJob.objects.get(pk=job.pk).heartbeat_at == last  # the thread has stopped
