"""Run a real Celery worker for integration tests (tests marked ``@pytest.mark.worker``).

The worker is a separate process started from the project's virtualenv with the test
process's environment, except for ``DATABASE_URL`` (pointed at pytest-django's test database)
and ``REDIS_URL`` (a Redis database of its own, flushed first, so no stale task runs). The test
process publishes to the same Redis database through :func:`live_broker`.

Typical use (see tests/integration/test_celery_worker.py)::

    url = redis_url_with_db(os.environ["REDIS_URL"], 5)
    flush_redis(url)
    with live_broker(app, url), CeleryWorker(database_url=..., redis_url=url, log_path=...) as worker:
        ...
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CELERY_BIN = Path(sys.executable).with_name("celery")
READY = re.compile(r"@\S+ ready\.")


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server as `url`, database number `db` (redis://host:port/db)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"not a redis:// URL: {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def worker_redis_db(default: int) -> int:
    """A worker test's own Redis database: `default`, shifted by TEST_REDIS_DB_SHIFT (0 unless
    set) so that several checkouts can run their suites side by side on one Redis server."""
    return default + int(os.environ.get("TEST_REDIS_DB_SHIFT", "0"))


def redis_reachable(url: str, timeout: float = 2.0) -> str | None:
    """None when Redis at `url` answers PING, else the reason it does not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def flush_redis(url: str) -> None:
    """FLUSHDB the database of `url` (only that database, never the whole server)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASE_URL (dj-database-url syntax) for a Django PostgreSQL connection's settings."""
    engine = str(settings_dict.get("ENGINE", ""))
    if "postgresql" not in engine:
        raise ValueError(f"a worker test needs PostgreSQL, not {engine!r}")
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    host = str(settings_dict.get("HOST") or "")
    port = str(settings_dict.get("PORT") or "")
    if host.startswith("/"):
        host = quote(host, safe="")  # a Unix socket directory, percent-encoded
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    netloc = f"{auth}{host}{':' + port if port else ''}"
    return f"postgres://{netloc}/{quote(str(settings_dict['NAME']), safe='')}"


def _reset_connections(app: Any) -> None:
    """Drop the app's cached broker pools and result backend so new URLs take effect."""
    from kombu import pools

    # Close and forget kombu's process-wide connection and producer pools: a pool closed but
    # left registered would answer the next test with "Acquire on closed pool".
    pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    backend = app._backend_cache or getattr(app._local, "backend", None)
    if backend is not None:
        # The Redis result backend subscribes to each sent task's result channel.
        consumer = getattr(backend, "result_consumer", None)
        if consumer is not None:
            consumer.stop()
        client = backend.__dict__.get("client")
        if client is not None:
            client.connection_pool.disconnect()
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@contextmanager
def live_broker(app: Any, redis_url: str) -> Iterator[None]:
    """Make this process publish tasks to `redis_url` for real (not eagerly), then restore."""
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    _reset_connections(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _reset_connections(app)


class CeleryWorker:
    """One ``celery -A balance worker`` process in its own process group, logging to a file."""

    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        log_path: Path,
        extra_env: Mapping[str, str] | None = None,
        pool: str = "solo",
    ) -> None:
        self.log_path = log_path
        self.pool = pool  # "prefork" as production runs it: a main process and one child
        self.env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
        self.env.update(extra_env or {})
        # Not the test process's marker: the worker must not think it is a test run.
        self.env.pop("PYTEST_CURRENT_TEST", None)
        self.name = f"test-worker-{os.getpid()}-{time.monotonic_ns()}@%h"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [
            str(CELERY_BIN),
            "-A",
            "balance",
            "worker",
            f"--pool={self.pool}",
            "--concurrency=1",
            "-l",
            "info",
            "-Q",
            "celery",
            "-n",
            self.name,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

    def start(self, timeout: float = 60.0) -> None:
        """Start the worker and wait until it logs that it is ready to consume."""
        if not CELERY_BIN.exists():
            raise RuntimeError(f"celery not found at {CELERY_BIN}")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as a whole in stop()
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.process.returncode}:\n{self.log()}")
            if READY.search(self.log()):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"celery worker not ready after {timeout:.0f}s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the worker's process group (a warm shutdown), SIGKILL it if it lingers."""
        process, self.process = self.process, None
        if process is None:
            return
        pgid = process.pid  # start_new_session: the worker leads its own group
        if process.poll() is None:
            self._signal_group(pgid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(pgid, signal.SIGKILL)
                process.wait(timeout=10)
        # Anything the worker started and left behind in its group.
        self._signal_group(pgid, signal.SIGKILL)

    def pids(self) -> list[int]:
        """The worker's main process and every process under it (the prefork pool's children)."""
        if self.process is None:
            return []
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with suppress(OSError, IndexError, ValueError):
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        found = [self.process.pid]
        for pid in found:  # grows while it is walked: children, then theirs
            found += [child for child, parent in parents.items() if parent == pid and child not in found]
        return found

    def kill(self) -> list[int]:
        """SIGKILL the main process and its children, each by its PID, as an out-of-memory killer or
        a crashed machine would stop them (no warm shutdown, nothing acknowledged). Returns the PIDs."""
        pids = self.pids()
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)
        return pids

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def count(self, pattern: str, since: int = 0) -> int:
        """How many times `pattern` (a regex) occurs in the log after character offset `since`."""
        return len(re.findall(pattern, self.log()[since:]))

    def wait_until_idle(self, *, quiet: float = 1.0, timeout: float = 60) -> None:
        """Wait until every task the worker received has finished and none came for `quiet` s.

        Writes in a test's set-up queue follow-up tasks (a coalesced recompute a few seconds
        later, the problem sync it queues in turn); a test that compares what the data is before
        and after must let them finish first.
        """
        deadline = time.monotonic() + timeout
        idle_since: float | None = None
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"the worker stopped:\n{self.log()[-3000:]}")
            log = self.log()
            received = len(re.findall(r"Task [\w.]+\[[^\]]+\] received", log))
            finished = len(re.findall(r"Task [\w.]+\[[^\]]+\] (?:succeeded|failed|raised|retry)", log))
            if received == finished:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= quiet:
                    return
            else:
                idle_since = None
            time.sleep(0.05)
        raise TimeoutError(f"the worker did not become idle:\n{self.log()[-3000:]}")

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
