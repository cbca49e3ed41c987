"""A report rendered by a real Celery worker on Redis (tests marked `worker`): the request queues
a job, the worker renders it (progress, then done) and stores the file; the same request again is
answered with the stored file without a new task."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from balance.celery import app as celery_app
from core.models import Role, User
from demo.county import DemoSchool, statistics_for
from indicators.services import balance_recompute, profile_install_defaults
from reports import services as report_services
from reports.models import JobStatus, ReportJob
from schools import services
from schools.models import District
from tests.worker import (
    CeleryWorker,
    database_url,
    flush_redis,
    live_broker,
    redis_reachable,
    redis_url_with_db,
    worker_redis_db,
)

pytestmark = pytest.mark.worker

YEAR = 2025
REDIS_DB = worker_redis_db(11)  # a database of its own, flushed before and after
RENDER = r"Task reports\.tasks\.render_report\[[^\]]+\] received"


@pytest.fixture
def worker_redis_url() -> str:
    base = os.environ.get("REDIS_URL") or django_settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    url = redis_url_with_db(base, REDIS_DB)
    problem = redis_reachable(url)
    if problem:
        pytest.skip(f"Redis is not reachable at {url}: {problem}")
    return url


@pytest.fixture
def live_worker(
    transactional_db: None, worker_redis_url: str, media_root: Path, tmp_path: Path
) -> Iterator[CeleryWorker]:
    flush_redis(worker_redis_url)
    worker = CeleryWorker(
        database_url=database_url(connection.settings_dict),
        redis_url=worker_redis_url,
        log_path=tmp_path / "worker.log",
        extra_env={"MEDIA_ROOT": str(media_root)},
    )
    try:
        with live_broker(celery_app, worker_redis_url):
            worker.start()
            yield worker
    finally:
        worker.stop()
        print(f"--- worker log, last 3000 characters ---\n{worker.log()[-3000:]}")
        flush_redis(worker_redis_url)


def build_county() -> District:
    profile_install_defaults()  # transactional tests flush the migration-installed profiles
    district = services.district_get_or_create(code="130996", name="清泉报告测试县", province="河北省")
    bureau = User.objects.create_user(username="bureau-rw", password="x-test-pass-1", role=Role.BUREAU)
    for spec in (
        DemoSchool("1309960001", "城关小学", "primary", "urban", 1200),
        DemoSchool("1309960002", "柳林镇中心小学", "primary", "town", 640, quality=0.9),
        DemoSchool("1309960003", "第二初级中学", "junior", "urban", 900),
    ):
        school = services.school_create(
            district=district, code=spec.code, year=YEAR, user=bureau, name=spec.name, school_type=spec.school_type
        )
        stats = services.statistics_save(school=school, year=YEAR, raw=statistics_for(spec, 0, 0), user=bureau)
        services.statistics_submit(stats=stats.statistics, user=bureau)
        services.statistics_approve(stats=stats.statistics, user=bureau)
    balance_recompute(districts=[district], year=YEAR)
    return district


def request(district: District) -> ReportJob:
    return report_services.report_request(
        user=None, kind="county", fmt="pdf", district=district, school=None, year=YEAR, profile_name="quality-2017"
    )


def test_a_worker_renders_the_report_and_the_same_request_reuses_it(
    live_worker: CeleryWorker, media_root: Path
) -> None:
    district = build_county()
    # The approvals queued a coalesced recompute (run 2 s later) and it may queue a problem sync:
    # the report's inputs stay unchanged only once those have run.
    live_worker.wait_until_idle()
    job = request(district)  # committed at once (autocommit): the task is published
    assert job.status == JobStatus.QUEUED
    deadline = time.monotonic() + 90
    while True:
        job.refresh_from_db()
        if job.status in (JobStatus.DONE, JobStatus.FAILED):
            break
        if not live_worker.running or time.monotonic() > deadline:
            pytest.fail(f"job stuck in {job.status}:\n{live_worker.log()[-3000:]}")
        time.sleep(0.05)
    assert job.status == JobStatus.DONE, job.reason
    assert (media_root / job.file).read_bytes().startswith(b"%PDF")
    assert job.pages and job.pages > 5 and job.render_seconds
    tasks_before = live_worker.count(RENDER)
    again = request(district)
    assert again.pk == job.pk and again.status == JobStatus.DONE
    time.sleep(1)
    assert live_worker.count(RENDER) == tasks_before == 1
