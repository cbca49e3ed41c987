"""After commit, once: the one way every app defers work until its transaction has committed.

A burst of writes in one transaction (an import of hundreds of schools, twenty checklist entries)
asks many times for the same follow-up (queue a recompute, sync the problem list); it should run
once, and only if the writes were committed.

`on_commit_once(key, fn)` registers `fn` with Django's `transaction.on_commit` each time it is
asked, and the first of those callbacks to run after the commit runs `fn`; the others find their
key taken and do nothing. Deciding when the callbacks run, rather than when they are registered,
keeps Django in charge of what a rollback drops: a callback registered in a savepoint that is
rolled back is dropped by Django with the savepoint, and a callback of the same key registered
outside it still runs. Only Django's public API is used.

This coalesces within one process's transaction. Coalescing across processes (several web
processes marking the same district-year stale) needs the database: see
`indicators.services.balance_mark_stale`, whose conditional UPDATE decides who queues the run and
then hands the queueing to this helper.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

# Per connection (connections are per thread): the keys asked for since their callbacks last ran.
_waiting: WeakKeyDictionary[BaseDatabaseWrapper, set[Hashable]] = WeakKeyDictionary()


def on_commit_once(key: Hashable, fn: Callable[[], object], *, using: str | None = None) -> None:
    """Run `fn` after the current transaction commits, once for all the calls with this `key`.

    Outside a transaction `fn` runs now (as `transaction.on_commit` does). A rolled-back
    transaction runs nothing. `key` names the follow-up and what it is for, e.g.
    `("problems-sync", district_id, year)`; calls with the same key are assumed to ask for the same
    work, and the `fn` of the first surviving call is the one that runs.
    """
    connection = transaction.get_connection(using or DEFAULT_DB_ALIAS)
    waiting = _waiting.setdefault(connection, set())
    waiting.add(key)

    def run_once() -> None:
        # A key left behind by a rolled-back transaction is harmless: only callbacks registered
        # in a committed transaction run, and each of those added its key again.
        if key in waiting:
            waiting.discard(key)
            fn()

    transaction.on_commit(run_once, using=using)


@contextmanager
def derived_data_atomic(using: str | None = None) -> Iterator[None]:
    """A transaction that writes only data the product can compute again (results, states).

    Outermost, on PostgreSQL, it commits asynchronously (`SET LOCAL synchronous_commit = off`):
    the commit returns without waiting for the WAL to reach the disk, which is most of a small
    recompute's wall time. A crash can then lose the last fraction of a second of such
    transactions, each whole or not at all (never half a result), and what they replaced stays:
    the data change that asked for them is committed durably by its own transaction and keeps
    its district-year stale, so the catch-up job computes them again. Nested in a transaction
    that writes user data, it is a plain savepoint and changes nothing about durability.
    """
    alias = using or DEFAULT_DB_ALIAS
    connection = transaction.get_connection(alias)
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=alias):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield
