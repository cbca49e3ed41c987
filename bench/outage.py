"""Outage benchmark: saves, submits and approves while Redis is unreachable (issue #12, point 3).

    .venv/bin/python -m bench outage [--records 20] [--redis-up URL] [--keep-db] [--reuse-db] [--json]

What it does, on this machine over loopback:
* The county of `bench load` (200 open schools, three years, balance results) in its own database,
  BENCH_OUTAGE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/balance_load_outage; the
  name must start with balance_load), seeded by the same child process; dropped at the end.
* gunicorn as production runs it (3 sync workers, DEBUG=false) with REDIS_URL pointing at a closed
  port (redis://127.0.0.1:6399/0): cache, Celery broker and result backend all unreachable.
* Through HTTP, as a client would: an API token (the throttled token endpoint), the balance page,
  then for `--records` draft school-years of the latest year: a save naming its revision (one
  figure changed, so the change is written and a recompute is queued), its submit and its
  approve, each timed from sending to the last byte; then a save of the same record without a
  revision, which must be refused (428) with nothing saved.
* With `--redis-up URL` (a Redis database of your own, e.g. redis://127.0.0.1:6379/3: it is
  flushed before and after) the same again with Redis reachable: the yardstick. No worker runs,
  so queued tasks only wait there.

The table gives per call and mode: count, statuses, median, p95 and max in ms, and the CPU
seconds gunicorn (all its workers) used over the timed calls, per call. Target: every save,
submit and approve under 1 s with Redis down, and no 5xx. `--json` prints one JSON object as the
last line. Exit status 1 when a target fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import load

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/balance_load_outage"
CLOSED = "redis://127.0.0.1:6399/0"
TARGET_MS = 1000.0
WRITES = ("save (revision)", "submit", "approve")
CALLS = ("api token", "balance page", *WRITES, "save, no revision")


def _database_url() -> str:
    url = os.environ.get("BENCH_OUTAGE_DATABASE_URL", DEFAULT_URL)
    os.environ["BENCH_LOAD_DATABASE_URL"] = url  # load's safety checks (name, loopback) apply to it
    load._database_url()
    return url


@dataclass
class Mode:
    name: str
    redis_url: str
    samples: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    cpu: float = 0.0
    calls: int = 0

    def add(self, call: str, seconds: float, status: int) -> None:
        self.samples.setdefault(call, []).append((seconds, status))


def _request(pool: Any, method: str, path: str, headers: dict[str, str], body: Any = None) -> tuple[float, int, Any]:
    data = None if body is None else json.dumps(body)
    if data is not None:
        headers = {**headers, "Content-Type": "application/json"}
    began = time.perf_counter()
    response = pool.request(method, path, body=data, headers=headers, redirect=False, retries=False)
    return time.perf_counter() - began, response.status, response.data


def _drafts(pool: Any, token: dict[str, str], district: str, year: int, count: int) -> list[dict[str, Any]]:
    """Draft school-years of the year whose book count can change by one (no jump to explain)."""
    out: list[dict[str, Any]] = []
    page = 1
    while len(out) < count:
        _t, status, data = _request(
            pool, "GET", f"/api/v1/statistics/?district={district}&year={year}&status=draft&page={page}", token
        )
        if status != 200:
            break
        body = json.loads(data)
        out += [r for r in body["results"] if r.get("books")]
        if not body.get("next"):
            break
        page += 1
    return out[:count]


def _measure(mode: Mode, server: load.Server, password: str, site: load.Site, count: int, db: str) -> None:
    import urllib3

    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, retries=False, timeout=30.0)
    auth = load._login(pool, password)  # warms every worker's first request too
    token = {"Authorization": auth.token}
    session = {"Cookie": auth.session}
    year, profile = max(site.years), site.profiles[0]
    records = _drafts(pool, token, site.district, year, count)
    if len(records) < count:
        raise SystemExit(f"bench outage: only {len(records)} draft records with books in {year}; use --records")
    meter = load.CpuMeter(server.proc.pid, db)
    meter.start()
    for _ in range(5):
        seconds, status, _d = _request(
            pool,
            "POST",
            "/api/v1/auth/token/",
            {},
            {"username": load.USERNAME, "password": password},
        )
        mode.add("api token", seconds, status)
        seconds, status, _d = _request(pool, "GET", f"/districts/{site.district}/balance/{year}/{profile}/", session)
        mode.add("balance page", seconds, status)
    for record in records:
        body = {k: v for k, v in record.items() if k not in ("id", "status", "unconfirmed")}
        body["books"] = record["books"] + 1
        # The generated years differ a lot: every figure gets a reason, as a real jump would.
        body["change_reasons"] = {k: "压测数据" for k, v in record.items() if isinstance(v, int | float)}
        stale_copy = {k: v for k, v in body.items() if k != "revision"}
        seconds, status, _d = _request(pool, "POST", "/api/v1/statistics/", token, stale_copy)
        mode.add("save, no revision", seconds, status)  # refused, nothing saved: the next save is not stale
        seconds, status, data = _request(pool, "POST", "/api/v1/statistics/", token, body)
        mode.add("save (revision)", seconds, status)
        if status != 200:
            print(f"    save of {record['school_code']}: {status} {data[:300].decode(errors='replace')}")
        for step in ("submit", "approve"):
            seconds, status, _d = _request(pool, "POST", f"/api/v1/statistics/{record['id']}/{step}/", token)
            mode.add(step, seconds, status)
    mode.cpu = meter.stop()["server"]
    mode.calls = sum(len(v) for v in mode.samples.values())
    pool.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1] if ordered else math.nan


def _rows(modes: list[Mode]) -> list[dict[str, Any]]:
    rows = []
    for mode in modes:
        for call in CALLS:
            samples = mode.samples.get(call, [])
            times = [s * 1000 for s, _status in samples]
            statuses: dict[str, int] = {}
            for _s, status in samples:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            rows.append(
                {
                    "mode": mode.name,
                    "call": call,
                    "n": len(samples),
                    "statuses": statuses,
                    "median_ms": _percentile(times, 0.5),
                    "p95_ms": _percentile(times, 0.95),
                    "max_ms": max(times) if times else math.nan,
                }
            )
    return rows


def _verdicts(modes: list[Mode]) -> dict[str, bool]:
    down = next(m for m in modes if m.name == "Redis down")
    writes = [s for call in WRITES for s in down.samples.get(call, [])]
    everything = [s for samples in down.samples.values() for s in samples]
    refused = down.samples.get("save, no revision", [])
    return {
        "no 5xx with Redis down": bool(everything) and all(status < 500 for _s, status in everything),
        "every save, submit and approve answered 200": bool(writes) and all(status == 200 for _s, status in writes),
        f"every save, submit and approve < {TARGET_MS:.0f} ms": bool(writes)
        and all(s * 1000 < TARGET_MS for s, _status in writes),
        "a save without revision refused (428)": bool(refused) and all(status == 428 for _s, status in refused),
    }


def _print(rows: list[dict[str, Any]], modes: list[Mode], verdicts: dict[str, bool]) -> None:
    header = ("mode", "call", "n", "statuses", "median ms", "p95 ms", "max ms")
    table = [
        (
            r["mode"],
            r["call"],
            str(r["n"]),
            " ".join(f"{k}×{v}" for k, v in sorted(r["statuses"].items())),
            f"{r['median_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['max_ms']:.1f}",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for cells in table:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    for mode in modes:
        print(
            f"{mode.name}: gunicorn CPU {mode.cpu:.2f} s over {mode.calls} calls"
            f" ({mode.cpu / max(1, mode.calls) * 1000:.1f} ms a call)"
        )
    for name, ok in verdicts.items():
        print(f"{name}: {'PASS' if ok else 'FAIL'}")


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench outage", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=8, help="draft school-years saved, submitted, approved")
    parser.add_argument("--redis-up", default="", help="also measure with this (flushed) Redis database reachable")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--reuse-db", action="store_true", help="reuse a kept database and its data")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = _database_url()
    name = urlsplit(url).path.lstrip("/")
    password = secrets.token_urlsafe(24)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    if not args.reuse_db:
        load._admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not args.reuse_db or not load._exists(url, name):
        load._admin(url, f'CREATE DATABASE "{name}"')
    modes = [Mode("Redis down", CLOSED)]
    if args.redis_up:
        modes.append(Mode("Redis up", args.redis_up))
    try:
        print(f"bench outage: database {name}; seeding the {load.SCHOOLS}-school county of bench load")
        sys.stdout.flush()
        setup = load._child(url, password, "setup")
        site = load.Site(setup["district"], setup["years"], setup["profiles"])
        with tempfile.TemporaryDirectory(prefix="bench-outage-") as workdir:
            for mode in modes:
                if mode.name == "Redis up":
                    _flush(mode.redis_url)  # the first mode approved its records: it takes other drafts
                with load.gunicorn(url, 3, 1, Path(workdir), REDIS_URL=mode.redis_url) as server:
                    print(f"  {mode.name}: gunicorn 3 sync workers, REDIS_URL={mode.redis_url} ...")
                    sys.stdout.flush()
                    _measure(mode, server, password, site, args.records, name)
                if mode.name == "Redis up":
                    _flush(mode.redis_url)
    finally:
        if not args.keep_db:
            load._admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    rows = _rows(modes)
    verdicts = _verdicts(modes)
    _print(rows, modes, verdicts)
    print(
        f"machine: {os.cpu_count()} cores; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after;"
        f" whole bench {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "outage",
                    "rows": rows,
                    "cpu_seconds": {m.name: m.cpu for m in modes},
                    "calls": {m.name: m.calls for m in modes},
                    "verdicts": verdicts,
                }
            )
        )
    return 0 if all(verdicts.values()) else 1
