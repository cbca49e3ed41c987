"""Benchmark of the balance engine: `balance_recompute` from PostgreSQL, next to a naive version.

    .venv/bin/python -m bench recompute [--scenarios a,a3,b,c] [--naive-sample 30] [--keep-db]

Scenarios (bench/data.py): (a) one county of 60 units, (a3) the same with 3× the schools, to
show that the number of queries per county does not grow with its schools, (b) 100 counties of
100 units, (c) 2,900 counties of 70 units (≈ 200,000 units, national scale).

How it measures:
* The bench creates its own database (BENCH_DATABASE_URL, default
  postgres://postgres@127.0.0.1:5432/balance_bench), migrates it, bulk-inserts the data with
  the ORM's bulk_create (not through the services, for speed of setup) and drops it at the end.
  It refuses to use a database named `balance`, `postgres`, `template*` or `test*`.
* Each scenario and implementation runs in a fresh subprocess (DEBUG off, no REDIS_URL): the
  time is the wall time of `balance_recompute(districts=..., year=..., force=True)` (load
  inputs, evaluate under the district's profiles — the two national defaults — and store),
  the median of several runs; queries are counted with `connection.execute_wrapper` (counted,
  not stored), plus the COPY statements the engine writes with; peak memory is the process's RSS
  high-water mark, `resource.getrusage(RUSAGE_SELF).ru_maxrss`, which includes Python and
  Django themselves (the "base" column is the RSS before the first run).
* The naive version (bench/naive.py) does one query per school. For (c) it runs on a sample of
  counties and its time and query count are extrapolated linearly: those cells are marked "≈".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/balance_bench"
GIB = 1024**3
# Targets of issue #3 for the engine on a 2-core machine.
TIME_TARGETS = {"a": 0.050, "b": 2.0, "c": 30.0}
MEMORY_TARGET = 1 * GIB
REPS = {"a": 15, "a3": 15, "b": 3, "c": 2}
NAIVE_REPS = {"a": 3, "a3": 3, "b": 1, "c": 1}


# --- parent: database, subprocesses, table --------------------------------------------------


def _database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    name = urlsplit(url).path.lstrip("/")
    if not name or name in ("balance", "postgres") or name.startswith(("test", "template")):
        sys.exit(f"bench: refusing to create or drop database {name!r}; set BENCH_DATABASE_URL to a bench database")
    return url


def _admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _exists(url: str, name: str) -> bool:
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _child_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="balance.settings",
        DEBUG="false",  # DEBUG would keep every SQL text (megabytes of JSON) in connection.queries
        SECRET_KEY="bench-only-secret-key-not-for-production",  # noqa: S106 - a throwaway database
        LOG_LEVEL="WARNING",
        PYTHONHASHSEED="0",
    )
    return env


def _child(url: str, *args: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench", "recompute", "--child", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=_child_env(url), capture_output=True, text=True, check=False)
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
    parser.add_argument("--naive-sample", type=int, default=30, help="counties of (c) the naive version runs on")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive version")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--reuse-db", action="store_true", help="reuse a kept database and the data already in it")
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
            for impl in ("engine", "naive"):
                if impl == "naive" and args.no_naive:
                    continue
                sample = args.naive_sample if impl == "naive" and key == "c" else 0
                reps = (NAIVE_REPS if impl == "naive" else REPS)[key]
                print(f"  running {key} {impl}{f' (sample of {sample} counties)' if sample else ''} ...")
                sys.stdout.flush()
                result = _child(url, "run", key, impl, str(reps), str(sample))
                rows.append({"key": key, "impl": impl, "counts": counts, **result})
    finally:
        if not args.keep_db:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _print_table(rows, SCENARIOS)
    print(
        f"machine: {os.cpu_count()} cores; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
        " (other work on the machine slows every row); whole bench"
        f" {time.perf_counter() - started:.0f} s"
    )
    return 0 if all(r.get("ok", True) for r in rows) else 1


def _print_table(rows: list[dict[str, Any]], scenarios: dict[str, Any]) -> None:
    header = (
        "scenario",
        "impl",
        "counties",
        "schools",
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
        "base RSS",
        "time target",
        "memory ≤ 1 GiB",
    )
    table: list[tuple[str, ...]] = []
    per_county: dict[str, float] = {}
    for row in rows:
        key, impl, counts = row["key"], row["impl"], row["counts"]
        estimated = bool(row["sample"])
        scale = counts["districts"] / row["districts"] if estimated else 1.0
        seconds = row["median"] * scale
        queries = row["queries"] * scale
        q_county = row["queries"] / row["districts"]
        mark = "≈ " if estimated else ""
        time_target = memory = "—"
        if impl == "engine":
            per_county[key] = q_county
            if key in TIME_TARGETS:
                ok = seconds <= TIME_TARGETS[key]
                row["ok"] = ok
                time_target = f"≤ {_ms(TIME_TARGETS[key])} {'PASS' if ok else 'FAIL'}"
            mem_ok = row["maxrss"] <= MEMORY_TARGET
            row["ok"] = row.get("ok", True) and mem_ok
            memory = "PASS" if mem_ok else "FAIL"
        table.append(
            (
                f"({key}) {scenarios[key].label}",
                impl + (f" (est. from {row['districts']} counties)" if estimated else ""),
                f"{counts['districts']:,}",
                f"{counts['schools']:,}",
                f"{counts['units']:,}",
                mark + _ms(seconds),
                mark + _ms(row["best"] * scale),
                str(row["runs"]),
                mark + _ms(row["cpu"] * scale),
                "—" if row["db_cpu"] is None else mark + _ms(row["db_cpu"] * scale),
                f"{row['stored']:,}",
                mark + f"{queries:,.0f}",
                f"{q_county:,.2f}",
                _mib(row["maxrss"]),
                _mib(row["base_rss"]),
                time_target,
                memory,
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    print()
    print("balance_recompute on PostgreSQL: engine vs naive per-school ORM version")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(line)
    if "a" in per_county and "a3" in per_county:
        same = per_county["a"] == per_county["a3"]
        print(
            f"queries per county, engine: {per_county['a']:.0f} for (a) and {per_county['a3']:.0f} for (a3) with 3× the"
            f" schools -> does not grow with schools: {'PASS' if same else 'FAIL'}"
        )
        for row in rows:
            if row["key"] == "a3" and row["impl"] == "engine":
                row["ok"] = row.get("ok", True) and same
    print(
        "time = median wall time of balance_recompute(force=True) over `runs` runs (naive: the bench's per-school ORM"
        " version), best = fastest run; py CPU = CPU time of the Python process (all threads), db CPU = of its"
        " PostgreSQL backend (medians): unlike wall time they hardly move when other work shares the 2 cores;"
        " results = current documents stored (counties × 2 default profiles); queries include COPY;"
        " peak RSS = ru_maxrss of a fresh subprocess per row (Python + Django included, base = before the first run);"
        " ≈ = extrapolated linearly from a sample of counties."
    )


# --- children: setup and one measured scenario ----------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _child_main(argv: list[str]) -> int:
    _django()
    if argv[0] == "setup":
        out = _setup([k for k in argv[1].split(",") if k])
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
    """An execute wrapper that counts queries without keeping their (huge) SQL text.

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
    """CPU seconds (user + system) of a local process, e.g. the PostgreSQL backend; None if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # not Linux, or the server is on another machine
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(key: str, impl: str, reps: int, sample: int) -> dict[str, Any]:
    import gc
    import resource

    from django.db import connection

    from bench.data import SCENARIOS, YEAR
    from bench.naive import naive_recompute
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
        "first": times[0],
        "times": times,
        "queries": queries[-1],
        "districts": len(districts),
        "sample": sample,
        "stored": stored,
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "base_rss": base_rss,
    }
