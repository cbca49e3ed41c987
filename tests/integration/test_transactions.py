"""core.transactions: on_commit_once (after the commit, once per key) and derived_data_atomic."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from core.transactions import derived_data_atomic, on_commit_once


class BoomError(Exception):
    pass


def _recorder() -> tuple[list[str], Any]:
    ran: list[str] = []

    def record(name: str) -> Any:
        return lambda: ran.append(name)

    return ran, record


@pytest.mark.django_db(transaction=True)
def test_runs_once_after_the_commit_however_often_it_is_asked() -> None:
    ran, record = _recorder()
    with transaction.atomic():
        for _ in range(3):
            on_commit_once(("sync", 1), record("sync 1"))
        on_commit_once(("sync", 2), record("sync 2"))
        assert ran == []  # nothing before the commit
    assert ran == ["sync 1", "sync 2"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_runs_nothing_and_leaves_nothing_behind() -> None:
    ran, record = _recorder()
    with pytest.raises(BoomError), transaction.atomic():
        on_commit_once("key", record("rolled back"))
        raise BoomError
    assert ran == []
    with transaction.atomic():
        on_commit_once("key", record("committed"))
    assert ran == ["committed"]


@pytest.mark.django_db(transaction=True)
def test_a_savepoint_rolled_back_does_not_take_the_outer_request_with_it() -> None:
    ran, record = _recorder()
    with transaction.atomic():
        with pytest.raises(BoomError), transaction.atomic():
            on_commit_once("key", record("inside the savepoint"))
            raise BoomError
        on_commit_once("key", record("after the savepoint"))
    assert ran == ["after the savepoint"]

    ran.clear()
    with transaction.atomic():
        on_commit_once("key", record("before the savepoint"))
        with pytest.raises(BoomError), transaction.atomic():
            on_commit_once("key", record("inside the savepoint"))
            raise BoomError
    assert ran == ["before the savepoint"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_runs_now() -> None:
    ran, record = _recorder()
    on_commit_once("key", record("now"))
    on_commit_once("key", record("again"))
    assert ran == ["now", "again"]  # each call is its own (autocommitted) transaction


@pytest.mark.django_db(transaction=True)
def test_entries_saved_in_one_transaction_queue_one_problem_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    from assessment import tasks
    from assessment.problems.services import schedule_problems_sync

    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks.sync_problems, "delay", lambda district_id, year: queued.append((district_id, year)))
    with transaction.atomic():
        for _ in range(20):
            schedule_problems_sync(district_id=7, year=2025)
        schedule_problems_sync(district_id=7, year=2026)
    assert queued == [(7, 2025), (7, 2026)]


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        (value,) = cursor.fetchone()
    return str(value)


@pytest.mark.django_db(transaction=True)
def test_derived_data_commits_asynchronously_only_when_it_is_the_whole_transaction() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    before = _synchronous_commit()
    with derived_data_atomic():
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == before  # SET LOCAL ends with its transaction
    # Inside a transaction that writes user data it is a savepoint: that data stays durable.
    with transaction.atomic(), derived_data_atomic():
        assert _synchronous_commit() == before
