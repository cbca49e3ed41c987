"""The balance engine through a real Celery worker on Redis (issue #3, "How it is checked").

A `celery -A balance worker` process is started against pytest-django's test database and a
Redis database of its own (flushed first). Data is committed (`transactional_db`) so the worker
sees it; the test process publishes for real (not eagerly) and polls the database for the
stored results the worker writes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings as django_settings
from django.db import connection

from balance.celery import app as celery_app
from core.models import Role, User
from demo.county import DemoSchool, statistics_for
from indicators.models import BalanceResult, BalanceState
from indicators.services import profile_install_defaults
from schools import services
from schools.models import AnnualStatistics, District, School, Status
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

YEAR = 2024
PROFILE = "quality-2017"
REDIS_DB = worker_redis_db(5)  # a database of its own: flushed before and after, so no stale task runs
WAIT_SECONDS = 30.0
RECEIVED = r"Task indicators\.tasks\.recompute_balance\[[^\]]+\] received"
SUCCEEDED = r"Task indicators\.tasks\.recompute_balance\[[^\]]+\] succeeded"

T = TypeVar("T")


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def worker_redis_url() -> str:
    base = os.environ.get("REDIS_URL") or django_settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    url = redis_url_with_db(base, REDIS_DB)
    problem = redis_reachable(url)
    if problem:
        pytest.skip(f"Redis is not reachable at {url}: {problem}")
    return url


@pytest.fixture
def live_worker(transactional_db: None, worker_redis_url: str, tmp_path: Path) -> Iterator[CeleryWorker]:
    """A real worker on the test database; this process publishes to its Redis database."""
    db_url = database_url(connection.settings_dict)  # the test database, e.g. test_balance
    flush_redis(worker_redis_url)
    worker = CeleryWorker(database_url=db_url, redis_url=worker_redis_url, log_path=tmp_path / "worker.log")
    try:
        with live_broker(celery_app, worker_redis_url):
            worker.start()
            yield worker
    finally:
        worker.stop()
        log = worker.log()
        print(f"--- worker log ({worker.log_path}), last 4000 characters ---\n{log[-4000:]}")
        flush_redis(worker_redis_url)


# --- helpers --------------------------------------------------------------------------------


def wait_for(what: str, probe: Callable[[], T | None], worker: CeleryWorker, timeout: float = WAIT_SECONDS) -> T:
    """Poll `probe` until it returns something, or fail with the worker's log."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if not worker.running:
            pytest.fail(f"worker died while waiting for {what}:\n{worker.log()[-4000:]}")
        if time.monotonic() > deadline:
            state = BalanceState.objects.filter(year=YEAR).values().first()
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; state={state}\n{worker.log()[-4000:]}")
        time.sleep(0.2)


def provenance(district: District) -> dict[str, dict[str, Any]]:
    """What a result computed from the current data records as its inputs."""
    rows = AnnualStatistics.objects.filter(school__district=district, year=YEAR).values_list(
        "school__code", "revision", "status"
    )
    return {code: {"revision": revision, "status": status} for code, revision, status in rows}


def settled_result(district: District) -> BalanceResult | None:
    """The current result, once it is up to date with the data and nothing is pending."""
    state = BalanceState.objects.filter(district=district, year=YEAR).first()
    if state is None or state.stale or state.queued_at is not None:
        return None
    result = BalanceResult.objects.filter(district=district, year=YEAR, profile_name=PROFILE, is_current=True).first()
    if result is None or {
        c: {"revision": p.revision, "status": p.status} for c, p in result.outcome.schools.items()
    } != provenance(district):
        return None
    return result


def build_county() -> tuple[District, User, dict[str, School]]:
    """A small county through the services: one approved, one submitted and one draft school."""
    profile_install_defaults()  # transactional tests flush the migration-installed profiles
    district = services.district_get_or_create(code="130999", name="测试县", province="河北省")
    bureau = User.objects.create_user(username="bureau-w", password="x-test-pass-1", role=Role.BUREAU)
    bureau.district = district
    bureau.save()
    specs = [
        DemoSchool("1309990001", "城关小学", "primary", "urban", 1200),
        DemoSchool("1309990002", "柳林镇中心小学", "primary", "town", 640, quality=0.9),
        DemoSchool("1309990003", "后沟小学", "primary", "rural", 180, quality=0.8),
        DemoSchool("1309990004", "第二初级中学", "junior", "urban", 900),
    ]
    schools: dict[str, School] = {}
    for spec in specs:
        school = services.school_create(
            district=district,
            code=spec.code,
            year=YEAR,
            user=bureau,
            name=spec.name,
            school_type=spec.school_type,
            ownership="public",
            county_run=True,
            area_type=spec.area_type,
        )
        stats = services.statistics_save(
            school=school, year=YEAR, raw=statistics_for(spec, 0, 0), user=bureau
        ).statistics
        if spec.code.endswith(("1", "4")):
            services.statistics_submit(stats=stats, user=bureau)
            services.statistics_approve(stats=stats, user=bureau)
        elif spec.code.endswith("2"):
            services.statistics_submit(stats=stats, user=bureau)
        schools[spec.code] = school
    return district, bureau, schools


# --- tests ----------------------------------------------------------------------------------


def test_approval_updates_stored_results_through_worker(live_worker: CeleryWorker, settings: Any) -> None:
    settings.BALANCE_COALESCE_SECONDS = 0
    assert celery_app.conf.task_always_eager is False, "the worker test must publish for real"

    district, bureau, schools = build_county()
    before = wait_for("the first results of the new county", lambda: settled_result(district), live_worker)
    assert before.outcome.schools_approved == 2
    assert before.units_approved == 2
    assert live_worker.count(SUCCEEDED) >= 1, "results must come from the worker"
    succeeded_before = live_worker.count(SUCCEEDED)

    submitted = AnnualStatistics.objects.get(school=schools["1309990002"], year=YEAR)
    assert submitted.status == Status.SUBMITTED
    services.statistics_approve(stats=submitted, user=bureau)  # on_commit → apply_async → worker
    assert BalanceState.objects.get(district=district, year=YEAR).stale is True

    def approved_result() -> BalanceResult | None:
        result = settled_result(district)
        return result if result and result.outcome.schools_approved == 3 else None

    after = wait_for("the approval to reach the stored results", approved_result, live_worker)

    assert after.pk != before.pk
    assert after.units_approved == before.units_approved + 1
    assert after.outcome.schools["1309990002"].status == Status.APPROVED
    assert after.outcome.fingerprint == after.input_fingerprint != before.input_fingerprint
    assert {u.school_code for u in after.outcome.units if u.approved} >= {"1309990002"}
    before.refresh_from_db()
    assert before.is_current is False
    state = BalanceState.objects.get(district=district, year=YEAR)
    assert state.stale is False
    assert state.last_error == ""
    assert state.computed_at is not None
    # Both default profiles are current and agree on the inputs they used.
    current = BalanceResult.objects.filter(district=district, year=YEAR, is_current=True)
    assert {r.profile_name for r in current} == {"quality-2017", "basic-2012"}
    assert {r.input_fingerprint for r in current} != {before.input_fingerprint}
    assert all(r.outcome.schools_approved == 3 for r in current)
    assert live_worker.count(SUCCEEDED) > succeeded_before, "the approval must be recomputed by the worker"


def test_burst_of_saves_is_coalesced(live_worker: CeleryWorker, settings: Any) -> None:
    coalesce = 2
    settings.BALANCE_COALESCE_SECONDS = coalesce
    district, bureau, schools = build_county()
    wait_for("the first results of the new county", lambda: settled_result(district), live_worker)
    wait_for(
        "the worker to finish every queued run",
        lambda: True if live_worker.count(RECEIVED) == live_worker.count(SUCCEEDED) else None,
        live_worker,
    )
    log_offset = len(live_worker.log())
    last_pk = BalanceResult.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    draft = AnnualStatistics.objects.get(school=schools["1309990003"], year=YEAR)
    assert draft.status == Status.DRAFT
    raw = services.stat_values(draft)
    books = int(raw["books"] or 0)
    started = time.monotonic()
    for step in range(1, 6):
        saved = services.statistics_save(
            school=schools["1309990003"],
            year=YEAR,
            raw={**raw, "books": books + 10 * step},
            user=bureau,
            expected_revision=draft.revision + step - 1,  # one editor saving again and again
        )
        assert saved.changes == {"books": [books + 10 * (step - 1), books + 10 * step]}
    burst = time.monotonic() - started
    assert burst < coalesce, f"the burst took {burst:.2f}s, longer than the coalescing window"

    draft.refresh_from_db()
    assert draft.books == books + 50
    assert draft.revision == 6

    def burst_result() -> BalanceResult | None:
        result = settled_result(district)
        return result if result and result.outcome.schools["1309990003"].revision == 6 else None

    wait_for("the burst to reach the stored results", burst_result, live_worker)
    wait_for(
        "the worker to finish every queued run",
        lambda: True if live_worker.count(RECEIVED, log_offset) == live_worker.count(SUCCEEDED, log_offset) else None,
        live_worker,
    )
    time.sleep(0.5)  # a straggling, non-coalesced task would be received by now

    runs = live_worker.count(RECEIVED, log_offset)
    created = BalanceResult.objects.filter(district=district, year=YEAR, profile_name=PROFILE, pk__gt=last_pk)
    assert 1 <= runs <= 2, f"5 saves gave {runs} recompute tasks:\n{live_worker.log()[log_offset:]}"
    assert 1 <= created.count() <= 2, f"5 saves gave {created.count()} stored {PROFILE} results"
    current = created.get(is_current=True)
    units = {(u.school_code, u.level): u for u in current.outcome.units}
    assert units[("1309990003", "primary")].students == raw["students_primary"]
    assert BalanceState.objects.get(district=district, year=YEAR).stale is False
