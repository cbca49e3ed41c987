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


def alive(pid: int) -> bool:
    """The process runs (a killed child not yet reaped by init is a zombie: not running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


STALE_SECONDS = 4  # the heartbeat's staleness, shortened for the test (production: 30 s)
RECOVERY_BOUND = 120.0  # the issue: finished within two minutes of a worker being back


def test_a_render_whose_whole_worker_was_killed_finishes_once_a_worker_is_back(
    transactional_db: None, worker_redis_url: str, media_root: Path, tmp_path: Path, settings: object
) -> None:
    """A prefork worker (main process and child) killed by PID mid-render leaves the job rendering
    with a heartbeat that stops; a worker started afterwards queues it again (worker_ready) and
    renders it. Prints the time from the new worker being ready to the job done."""
    settings.REPORT_HEARTBEAT_STALE_SECONDS = STALE_SECONDS  # type: ignore[attr-defined]
    env = {
        "MEDIA_ROOT": str(media_root),
        "REPORT_HEARTBEAT_SECONDS": "1",
        "REPORT_HEARTBEAT_STALE_SECONDS": str(STALE_SECONDS),
    }

    def worker(name: str) -> CeleryWorker:
        return CeleryWorker(
            database_url=database_url(connection.settings_dict),
            redis_url=worker_redis_url,
            log_path=tmp_path / f"{name}.log",
            extra_env=env,
            pool="prefork",
        )

    flush_redis(worker_redis_url)
    first, second = worker("first"), worker("second")
    try:
        with live_broker(celery_app, worker_redis_url):
            first.start()
            district = build_county()
            first.wait_until_idle()
            job = request(district)
            deadline = time.monotonic() + 60
            while ReportJob.objects.filter(pk=job.pk, status=JobStatus.RENDERING).count() == 0:
                assert time.monotonic() < deadline, f"the render never started:\n{first.log()[-3000:]}"
                time.sleep(0.01)
            killed = first.kill()
            killed_at = time.monotonic()
            job.refresh_from_db()
            assert len(killed) >= 2, killed  # the main process and its pool child
            assert job.status == JobStatus.RENDERING, "the render finished before the kill: nothing was tested"
            # SIGKILL is delivered asynchronously: a child busy in the kernel (writing the PDF,
            # in D state) dies a moment later. Poll rather than look once.
            gone_by = time.monotonic() + 10
            while any(alive(pid) for pid in killed) and time.monotonic() < gone_by:
                time.sleep(0.02)
            assert not any(alive(pid) for pid in killed), [pid for pid in killed if alive(pid)]
            time.sleep(STALE_SECONDS + 1)  # the heartbeat has stopped since the kill
            job.refresh_from_db()
            assert job.status == JobStatus.RENDERING and job.attempts == 1

            second.start()
            ready_at = time.monotonic()
            while True:
                job.refresh_from_db()
                if job.status in (JobStatus.DONE, JobStatus.FAILED):
                    break
                assert time.monotonic() - ready_at < RECOVERY_BOUND, f"not recovered:\n{second.log()[-3000:]}"
                time.sleep(0.05)
            done_at = time.monotonic()
    finally:
        first.stop()
        second.stop()
        print(f"--- second worker log, last 3000 characters ---\n{second.log()[-3000:]}")
        flush_redis(worker_redis_url)
    assert job.status == JobStatus.DONE, job.reason
    assert job.attempts == 2 and job.reason == ""
    assert (media_root / job.file).read_bytes().startswith(b"%PDF")
    print(
        f"recovery: job done {done_at - ready_at:.1f} s after the new worker was ready"
        f" ({done_at - killed_at:.1f} s after the kill, of which {ready_at - killed_at:.1f} s waiting and starting)"
    )
