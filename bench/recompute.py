"""Benchmark of the balance engine: `balance_recompute` on PostgreSQL, beside honest baselines.

    .venv/bin/python -m bench recompute [--scenarios a,a3,b,c] [--workers 2] [--json]
                                        [--no-naive] [--sample 30] [--keep-db] [--reuse-db]

Scenarios (bench/data.py): (a) one county of 60 units, (a3) the same with 3× the schools, to show
that the number of queries per county does not grow with its schools, (b) 100 counties of 100
units, (c) 2,900 counties of 70 units (≈ 200,000 units, national scale).

Implementations, each in a fresh subprocess (DEBUG off):

* engine — `indicators.services.balance_recompute(districts=..., year=..., force=True)` in one
  process: inputs in bulk, one array evaluation per profile over a chunk of counties, results in
  one COPY. For (c) also `engine ×N workers`: the nightly job's fan-out (services.balance_fan_out)
  with N Celery workers (solo pool, one process each) on a Redis database of the bench's own;
  the time is from sending the chunk tasks until every district's result is stored.
* per-county ORM (the baseline) — bench/percounty.py: what a competent engineer writes without a
  batch engine: per county two queries with select_related, the same pure formulas, the same
  stored form, a plain `.save()`.
* naive (for information) — bench/naive.py: one query per school.

For (c) the baselines run on `--sample` counties and are extrapolated linearly ("≈"). Time is the
median wall time over several runs; "py CPU" is the CPU time of the Python processes (the worker
processes and the dispatcher for the fan-out row), "db CPU" that of their PostgreSQL backends
(read from /proc: a local server only). Both hardly move when other work shares the 2 cores,
unlike wall time. Peak RSS is `ru_maxrss` of the process (Python and Django included; for the
fan-out row the largest worker). The database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/balance_bench) is created and dropped by the bench; it refuses
`balance`, `postgres`, `template*` and `test*`.

Targets (issue #13, 2 cores): (a) engine ≤ 20 ms; (b) engine CPU, Python + PostgreSQL, ≤ 2 s and
≥ 5× faster than the per-county ORM version; (c) ≤ 15 s with two workers; peak memory ≤ 1 GiB.
With --json the last line is one JSON object: {"scenarios": {key: {"units", "engine_s",
"engine_py_cpu_s", "engine_db_cpu_s", "baseline_s", "speedup", ...}}, ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/balance_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
GIB = 1024**3
ENGINE_TIME_TARGETS = {"a": 0.020}
CPU_TARGETS = {"b": 2.0}
SPEEDUP_TARGETS = {"b": 5.0}
FANOUT_TARGETS = {"c": 15.0}
MEMORY_TARGET = 1 * GIB
REPS = {"a": 15, "a3": 15, "b": 5, "c": 2}
BASELINE_REPS = {"a": 5, "a3": 5, "b": 3, "c": 1}
NAIVE_REPS = {"a": 3, "a3": 3, "b": 1, "c": 1}
FANOUT_CHUNK = 200  # districts per task: 15 tasks for (c), so two workers share the work evenly


# --- parent: database, subprocesses, table --------------------------------------------------


def _database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    name = urlsplit(url).path.lstrip("/")
    if not name or name in ("balance", "postgres") or name.startswith(("test", "template")):
        sys.exit(f"bench: refusing to create or drop database {name!r}; set BENCH_DATABASE_URL to a bench database")
    return url


def _admin(url: str, sql: str) -> None:
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _exists(url: str, name: str) -> bool:
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _child_env(url: str, redis_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="balance.settings",
        DEBUG="false",  # DEBUG would keep every SQL text in connection.queries
        SECRET_KEY="bench-only-secret-key-not-for-production",  # noqa: S106 - a throwaway database
        LOG_LEVEL="WARNING",
        PYTHONHASHSEED="0",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _child(url: str, *args: str, redis_url: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench", "recompute", "--child", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=_child_env(url, redis_url), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"bench: child {' '.join(args)} failed ({proc.returncode})")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _mib(n: float) -> str:
    return f"{n / 2**20:.0f} MiB"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench recompute", description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default="a,a3,b,c", help="comma-separated: a, a3, b, c")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers for the fan-out row of (c)")
    parser.add_argument("--sample", type=int, default=30, help="counties of (c) the baselines run on")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive version")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--reuse-db", action="store_true", help="reuse a kept database and the data already in it")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args.child)

    from bench.data import SCENARIOS

    keys = [k.strip() for k in args.scenarios.split(",") if k.strip()]
    unknown = [k for k in keys if k not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {', '.join(SCENARIOS)}")
    url = _database_url()
    name = urlsplit(url).path.lstrip("/")
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    if not args.reuse_db:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not args.reuse_db or not _exists(url, name):
        _admin(url, f'CREATE DATABASE "{name}"')
    print(f"bench recompute: database {name}; data set up with bulk_create (not through the services), then ANALYZE")
    sys.stdout.flush()
    setup = _child(url, "setup", ",".join(keys))
    made = "; ".join(
        f"{k}: {c['districts']} counties, {c['schools']} schools, {c['units']} units"
        for k, c in setup["counts"].items()
    )
    print(f"  setup {setup['seconds']:.1f} s: {made}")
    rows: list[dict[str, Any]] = []
    try:
        for key in keys:
            counts = setup["counts"][key]
            impls = ["engine", "percounty"] + ([] if args.no_naive else ["naive"])
            for impl in impls:
                sample = args.sample if impl != "engine" and key == "c" else 0
                reps = {"engine": REPS, "percounty": BASELINE_REPS, "naive": NAIVE_REPS}[impl][key]
                print(f"  running {key} {impl}{f' (sample of {sample} counties)' if sample else ''} ...")
                sys.stdout.flush()
                result = _child(url, "run", key, impl, str(reps), str(sample))
                rows.append({"key": key, "impl": impl, "counts": counts, **result})
            if key == "c" and args.workers > 0:
                print(f"  running {key} engine ×{args.workers} workers (fan-out) ...")
                sys.stdout.flush()
                result = _fan_out(url, key, args.workers, REPS[key])
                rows.append({"key": key, "impl": f"engine ×{args.workers} workers", "counts": counts, **result})
    finally:
        if not args.keep_db:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    summary = _print_table(rows, SCENARIOS)
    print(
        f"machine: {os.cpu_count()} cores; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
        f" (other work on the machine slows every row); whole bench {time.perf_counter() - started:.0f} s"
    )
    ok = all(r.get("ok", True) for r in rows)
    if args.json:
        print(json.dumps({"scenarios": summary, "ok": ok, "cores": os.cpu_count()}))
    return 0 if ok else 1


def _scaled(row: dict[str, Any], field: str) -> float | None:
    value = row.get(field)
    if value is None:
        return None
    scale = row["counts"]["districts"] / row["districts"] if row["sample"] else 1.0
    return float(value) * scale


def _print_table(rows: list[dict[str, Any]], scenarios: dict[str, Any]) -> dict[str, dict[str, Any]]:
    header = (
        "scenario",
        "impl",
        "units",
        "time",
        "best",
        "runs",
        "py CPU",
        "db CPU",
        "results",
        "queries",
        "q/county",
        "peak RSS",
        "×engine",
        "targets",
    )
    by_key: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_key.setdefault(row["key"], {})[row["impl"]] = row
    table: list[tuple[str, ...]] = []
    summary: dict[str, dict[str, Any]] = {}
    for row in rows:
        key, impl, counts = row["key"], row["impl"], row["counts"]
        mark = "≈ " if row["sample"] else ""
        seconds = _scaled(row, "median") or 0.0
        engine = by_key[key].get("engine")
        engine_s = _scaled(engine, "median") if engine else None
        ratio = "—" if impl.startswith("engine") or not engine_s else f"{seconds / engine_s:.1f}×"
        checks: list[str] = []
        cpu_total = (row["cpu"] or 0.0) + (row["db_cpu"] or 0.0)
        if impl == "engine" and key in ENGINE_TIME_TARGETS:
            ok = seconds <= ENGINE_TIME_TARGETS[key]
            checks.append(f"time ≤ {_ms(ENGINE_TIME_TARGETS[key])} {'PASS' if ok else 'FAIL'}")
            row["ok"] = ok
        if impl == "engine" and key in CPU_TARGETS:
            ok = cpu_total <= CPU_TARGETS[key]
            checks.append(f"CPU ≤ {_ms(CPU_TARGETS[key])} {'PASS' if ok else 'FAIL'}")
            row["ok"] = row.get("ok", True) and ok
        if impl == "percounty" and key in SPEEDUP_TARGETS and engine_s:
            ok = seconds / engine_s >= SPEEDUP_TARGETS[key]
            checks.append(f"engine ≥ {SPEEDUP_TARGETS[key]:g}× faster {'PASS' if ok else 'FAIL'}")
            row["ok"] = ok
        if impl.startswith("engine ×") and key in FANOUT_TARGETS:
            ok = seconds <= FANOUT_TARGETS[key]
            checks.append(f"time ≤ {_ms(FANOUT_TARGETS[key])} {'PASS' if ok else 'FAIL'}")
            row["ok"] = ok
        if impl.startswith("engine"):
            mem_ok = row["maxrss"] <= MEMORY_TARGET
            checks.append(f"memory ≤ 1 GiB {'PASS' if mem_ok else 'FAIL'}")
            row["ok"] = row.get("ok", True) and mem_ok
        queries = _scaled(row, "queries")
        table.append(
            (
                f"({key}) {scenarios[key].label}",
                impl + (f" (est. from {row['districts']} counties)" if row["sample"] else ""),
                f"{counts['units']:,}",
                mark + _ms(seconds),
                mark + _ms(_scaled(row, "best") or 0.0),
                str(row["runs"]),
                mark + _ms(_scaled(row, "cpu") or 0.0),
                "—" if row["db_cpu"] is None else mark + _ms(_scaled(row, "db_cpu") or 0.0),
                f"{row['stored']:,}",
                "—" if queries is None else mark + f"{queries:,.0f}",
                "—" if row.get("queries") is None else f"{row['queries'] / row['districts']:,.2f}",
                _mib(row["maxrss"]),
                ratio,
                "; ".join(checks) or "—",
            )
        )
        entry = summary.setdefault(key, {"units": counts["units"], "counties": counts["districts"]})
        if impl == "engine" or (impl.startswith("engine ×") and key in FANOUT_TARGETS):
            entry.update(
                engine_s=seconds,
                engine_py_cpu_s=_scaled(row, "cpu"),
                engine_db_cpu_s=_scaled(row, "db_cpu"),
                engine_peak_rss_mib=round(row["maxrss"] / 2**20, 1),
                engine_impl=impl,
            )
        elif impl == "percounty":
            entry.update(baseline_s=seconds, baseline_estimated=bool(row["sample"]))
        elif impl == "naive":
            entry.update(naive_s=seconds, naive_estimated=bool(row["sample"]))
    for entry in summary.values():
        if entry.get("baseline_s") and entry.get("engine_s"):
            entry["speedup"] = round(entry["baseline_s"] / entry["engine_s"], 2)
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    print()
    print("balance_recompute on PostgreSQL: engine vs the per-county ORM version (baseline) and a naive one")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(line)
    a, a3 = by_key.get("a", {}).get("engine"), by_key.get("a3", {}).get("engine")
    if a and a3:
        same = a["queries"] == a3["queries"]
        print(
            f"queries per county, engine: {a['queries']} for (a) and {a3['queries']} for (a3) with 3× the schools"
            f" -> does not grow with schools: {'PASS' if same else 'FAIL'}"
        )
        a3["ok"] = a3.get("ok", True) and same
    print(
        "time = median wall time over `runs` runs, best = fastest; py CPU = CPU of the Python process(es), db CPU ="
        " of their PostgreSQL backends (medians); ×engine = the row's time over the engine's; results = current"
        " results stored (counties × 2 default profiles); queries include COPY; ≈ = extrapolated linearly."
    )
    return summary


# --- children: setup, one measured scenario, the fan-out ----------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _child_main(argv: list[str]) -> int:
    _django()
    if argv[0] == "setup":
        out = _setup([k for k in argv[1].split(",") if k])
    elif argv[0] == "dispatch":
        out = _dispatch(argv[1], int(argv[2]))
    else:
        key, impl, reps, sample = argv[1], argv[2], int(argv[3]), int(argv[4])
        out = _run(key, impl, reps, sample)
    print(json.dumps(out))
    return 0


def _setup(keys: list[str]) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from bench.data import SCENARIOS, create_scenario
    from indicators.services import profile_install_defaults
    from schools.models import District

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    profile_install_defaults()
    counts: dict[str, dict[str, int]] = {}
    for key in keys:
        scenario = SCENARIOS[key]
        if District.objects.filter(province=scenario.tag).exists():  # --reuse-db
            counts[key] = _existing_counts(scenario.tag)
        else:
            counts[key] = create_scenario(scenario)
    # As autovacuum would on a live database: without statistics the planner scans a whole
    # year of statistics even for one county.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"seconds": time.perf_counter() - started, "counts": counts}


def _existing_counts(tag: str) -> dict[str, int]:
    from bench.data import SCENARIOS, plan_county
    from schools.models import District, School

    scenario = next(s for s in SCENARIOS.values() if s.tag == tag)
    codes = list(District.objects.filter(province=tag).values_list("code", flat=True))
    units = sum(p.units for code in codes for p in plan_county(code, scenario.units))
    return {
        "districts": len(codes),
        "schools": School.objects.filter(district__province=tag).count(),
        "units": units,
    }


class _QueryCounter:
    """An execute wrapper that counts queries without keeping their SQL text.

    The engine writes results with COPY on PostgreSQL, which goes around Django's execute
    wrappers: `count_copies` counts those statements too.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)

    def count_copies(self) -> None:
        import psycopg

        copy = psycopg.Cursor.copy

        def counted(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return copy(cursor, *args, **kwargs)

        psycopg.Cursor.copy = counted  # type: ignore[method-assign,assignment]


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a local process, e.g. a PostgreSQL backend; None if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # not Linux, or the server is on another machine
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_rss_peak(pid: int) -> int:
    """The peak RSS (VmHWM) of a local process, in bytes; 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _run(key: str, impl: str, reps: int, sample: int) -> dict[str, Any]:
    import gc
    import resource

    from django.db import connection

    from bench.data import SCENARIOS, YEAR
    from bench.naive import naive_recompute
    from bench.percounty import percounty_recompute
    from indicators.models import BalanceResult
    from indicators.services import balance_recompute
    from schools.models import District

    districts = list(District.objects.filter(province=SCENARIOS[key].tag).order_by("code"))
    if sample:
        districts = districts[:sample]
    ids = [d.pk for d in districts]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    times: list[float] = []
    queries: list[int] = []
    cpu: list[float] = []
    db_cpu: list[float | None] = []
    counter = _QueryCounter()
    counter.count_copies()
    for _ in range(reps):
        # Housekeeping outside the timing: drop results that earlier runs made non-current.
        BalanceResult.objects.filter(district_id__in=ids, is_current=False).delete()
        gc.collect()
        counter.count = 0
        db0 = _process_cpu(backend)
        with connection.execute_wrapper(counter):
            c0 = time.process_time()
            t0 = time.perf_counter()
            if impl == "engine":
                balance_recompute(districts=districts, year=YEAR, force=True)
            elif impl == "percounty":
                percounty_recompute(districts=districts, year=YEAR)
            else:
                naive_recompute(districts=districts, year=YEAR)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        db1 = _process_cpu(backend)
        db_cpu.append(None if db0 is None or db1 is None else db1 - db0)
        queries.append(counter.count)
    stored = BalanceResult.objects.filter(district_id__in=ids, is_current=True).count()
    BalanceResult.objects.filter(district_id__in=ids, is_current=False).delete()
    return {
        "runs": reps,
        "median": statistics.median(times),
        "best": min(times),
        "cpu": statistics.median(cpu),
        "db_cpu": None if None in db_cpu else statistics.median([c for c in db_cpu if c is not None]),
        "times": times,
        "queries": queries[-1],
        "districts": len(districts),
        "sample": sample,
        "stored": stored,
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "base_rss": base_rss,
    }


def _dispatch(key: str, chunk: int) -> dict[str, Any]:
    """Send the fan-out's chunk tasks and wait until every district's result is stored."""
    from django.utils import timezone

    from bench.data import SCENARIOS, YEAR
    from indicators.models import BalanceResult, BalanceState
    from indicators.services import balance_fan_out
    from schools.models import District

    ids = list(District.objects.filter(province=SCENARIOS[key].tag).order_by("code").values_list("pk", flat=True))
    BalanceResult.objects.filter(district_id__in=ids, is_current=False).delete()
    c0 = time.process_time()
    t0 = time.perf_counter()
    since = timezone.now()
    chunks = balance_fan_out(district_ids=ids, year=YEAR, force=True, chunk=chunk, follow=False)
    while BalanceState.objects.filter(district_id__in=ids, year=YEAR, computed_at__gte=since).count() < len(ids):
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    stored = BalanceResult.objects.filter(district_id__in=ids, is_current=True, computed_at__gte=since).count()
    BalanceResult.objects.filter(district_id__in=ids, is_current=False).delete()
    return {
        "seconds": seconds,
        "cpu": time.process_time() - c0,
        "chunks": chunks,
        "stored": stored,
        "districts": len(ids),
    }


def _backends(url: str) -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL backend connected to the bench database."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        pids = [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])]
    return {pid: cpu for pid in pids if (cpu := _process_cpu(pid)) is not None}


def _fan_out(url: str, key: str, workers: int, reps: int) -> dict[str, Any]:
    """The nightly fan-out with `workers` Celery worker processes on the bench's Redis database."""
    import redis

    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    env = _child_env(url, redis_url)
    celery = Path(sys.executable).with_name("celery")
    times, cpu, db_cpu, peaks, stored = [], [], [], [], 0
    for _ in range(reps):
        redis.Redis.from_url(redis_url).flushdb()
        procs = []
        logs = []
        for n in range(workers):
            log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in the finally below
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [str(celery), "-A", "balance", "worker", "--pool", "solo", "-n", f"bench{n}@%h", "-l", "info"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                ready = 0
                for log in logs:
                    log.seek(0)
                    ready += bool(re.search(r"@\S+ ready\.", log.read()))
                if ready == workers:
                    break
                time.sleep(0.2)
            else:
                raise SystemExit("bench: the Celery workers did not start within 60 s")
            worker_cpu = {p.pid: _process_cpu(p.pid) or 0.0 for p in procs}
            before = _backends(url)
            # The workers' backends come and go with their connections: poll their CPU while the
            # dispatcher waits, keeping the last figure seen of each.
            seen: dict[int, float] = dict(before)
            dispatcher = subprocess.Popen(
                [sys.executable, "-m", "bench", "recompute", "--child", "dispatch", key, str(FANOUT_CHUNK)],
                cwd=ROOT,
                env=_child_env(url, redis_url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            while dispatcher.poll() is None:
                seen.update(_backends(url))
                time.sleep(0.2)
            out, err = dispatcher.communicate()
            if dispatcher.returncode != 0:
                sys.stderr.write(out + err)
                raise SystemExit(f"bench: the fan-out dispatcher failed ({dispatcher.returncode})")
            result = json.loads(out.strip().splitlines()[-1])
            seen.update(_backends(url))
            spent_db = sum(cpu - before.get(pid, 0.0) for pid, cpu in seen.items())
            times.append(result["seconds"])
            spent = sum((_process_cpu(p.pid) or 0.0) - worker_cpu[p.pid] for p in procs)
            cpu.append(spent + result["cpu"])
            db_cpu.append(spent_db)
            peaks.append(max(_process_rss_peak(p.pid) for p in procs))
            stored = result["stored"]
            districts = result["districts"]
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
            for log in logs:
                log.close()
    return {
        "runs": reps,
        "median": statistics.median(times),
        "best": min(times),
        "cpu": statistics.median(cpu),
        "db_cpu": statistics.median(db_cpu),
        "times": times,
        "queries": None,
        "districts": districts,
        "sample": 0,
        "stored": stored,
        "maxrss": max(peaks),
        "base_rss": 0,
    }
