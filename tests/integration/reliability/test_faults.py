"""Reliability (issue #8): a broker outage, a recompute interrupted half-way, a database restart."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import close_old_connections, connection
from kombu.exceptions import OperationalError

from balance.celery import app
from indicators import services as indicator_services
from indicators.models import BalanceResult, BalanceState
from indicators.tasks import recompute_balance, recompute_stale_balance
from schools import services
from schools.models import AnnualStatistics, District, School
from tests.factories import YEAR, primary_values, save_statistics, values_for


def current(district: District) -> list[BalanceResult]:
    return list(BalanceResult.objects.filter(district=district, year=YEAR, is_current=True))


@pytest.mark.django_db
def test_a_save_works_while_the_broker_is_down_and_is_caught_up_later(
    school_a1: School, celery_not_eager: None, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    def broker_down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(recompute_balance, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.statistics_save(school=school_a1, year=YEAR, raw=primary_values(), user=None)
    assert AnnualStatistics.objects.filter(pk=result.statistics.pk).exists()  # the save stands
    state = BalanceState.objects.get(district=school_a1.district, year=YEAR)
    assert state.stale and state.queued_at is None  # marked stale, free to be queued again
    assert current(school_a1.district) == []

    # The broker is back: the catch-up job queues the stale district-year and it is computed.
    monkeypatch.undo()
    # Not monkeypatch: its undo could run after celery_not_eager's and leave Celery non-eager.
    app.conf.task_always_eager = True  # the worker is back (in-process here)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert recompute_stale_balance() == 1
    finally:
        app.conf.task_always_eager = False
    state.refresh_from_db()
    assert not state.stale
    assert len(current(school_a1.district)) == 2


@pytest.mark.django_db
def test_an_interrupted_recompute_leaves_no_partial_result_and_runs_again(
    school_a1: School, school_a2: School, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        save_statistics(school_a1)
    before = {r.pk for r in current(school_a1.district)}
    assert len(before) == 2
    services.statistics_save(school=school_a2, year=YEAR, raw=values_for("junior"), user=None)

    from indicators import formulas

    real_evaluate = formulas.evaluate
    calls = []

    def dies_on_the_second_profile(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # the first profile's result is already written …
            raise OSError("worker killed")  # … then the process dies
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(formulas, "evaluate", dies_on_the_second_profile)
    with pytest.raises(OSError, match="worker killed"):
        indicator_services.balance_recompute(districts=[school_a1.district], year=YEAR)
    assert len(calls) == 2
    assert {r.pk for r in current(school_a1.district)} == before  # the old set is intact, nothing half-new
    monkeypatch.setattr(formulas, "evaluate", real_evaluate)

    indicator_services.balance_recompute(districts=[school_a1.district], year=YEAR)  # the retry
    after = current(school_a1.district)
    assert len(after) == 2 and {r.pk for r in after}.isdisjoint(before)
    assert all(r.units_total == 2 for r in after)


def test_tasks_are_acknowledged_late_so_a_killed_worker_leaves_the_job_queued() -> None:
    """A worker killed mid-task does not acknowledge it: the broker hands it to another worker."""
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.django_db(transaction=True)
def test_the_web_process_survives_a_database_restart(district_a: District) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    assert django_settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    District.objects.count()
    pid = connection.connection.info.backend_pid  # type: ignore[union-attr]
    params = connection.get_connection_params()
    with psycopg.connect(
        host=params.get("host", "127.0.0.1"),
        port=params.get("port", 5432),
        user=params.get("user", "postgres"),
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])  # what a server restart does to us
    time.sleep(0.2)
    close_old_connections()  # Django does this at the start of every request
    assert District.objects.filter(pk=district_a.pk).exists()
    assert connection.connection.info.backend_pid != pid  # type: ignore[union-attr]
