"""Benchmark of the browser import (issue #7): a 500-school workbook checked and committed.

    .venv/bin/python -m bench import [--schools 500] [--runs 3] [--keep-db]

What is timed, in a fresh subprocess (DEBUG off, no REDIS_URL, so Celery runs the jobs
in-process exactly as a worker would run them):
* check: `schools.exchange.import_job_create` — the upload is stored with its sha256 and the
  check job runs: the XLSX is inspected (zip limits), read with openpyxl (read-only), every row
  checked against the registry and last year's figures, and the preview stored on the job row;
* commit: `schools.exchange.import_job_confirm` — the apply job checks again under lock and
  saves every school through schools.services (all-or-nothing, one transaction, events
  recorded); the balance recompute that follows the commit is included (Celery eager), and
  shown on its own in the "recompute" column (timed separately on the same data).
The data: one county of N schools (bench/data.py's plausible schools of every type, inserted with
bulk_create) with last year's statistics; the workbook brings this year's figures for every
school (facility figures a few percent up, no change needing a reason), so every school gets a
new record. Between runs the new year's records are deleted.

Peak memory is `ru_maxrss` of the subprocess (Python, Django and openpyxl included). Targets:
≤ 5 s for check + commit and ≤ 300 MB peak. The machine is shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/balance_bench_import"
TIME_TARGET = 5.0
MEMORY_TARGET = 300 * 1024 * 1024
DISTRICT = "950001"
YEAR = 2026


def _database_url() -> str:
    url = os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_URL)
    name = urlsplit(url).path.lstrip("/")
    if not name or name in ("balance", "postgres") or name.startswith(("test", "template")):
        sys.exit(f"bench: refusing to create or drop database {name!r}; set BENCH_IMPORT_DATABASE_URL")
    return url


def _admin(url: str, sql: str) -> None:
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _child(url: str, media: str, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="balance.settings",
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-not-for-production",  # noqa: S106 - a throwaway database
        LOG_LEVEL="WARNING",
        MEDIA_ROOT=media,
        PYTHONHASHSEED="0",
    )
    cmd = [sys.executable, "-m", "bench", "import", "--child", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"bench import: child {' '.join(args)} failed ({proc.returncode})")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench import", description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args.child)

    url = _database_url()
    name = urlsplit(url).path.lstrip("/")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{name}"')
    print(f"bench import: database {name}; {args.schools} schools inserted with bulk_create, then ANALYZE")
    sys.stdout.flush()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-import-") as media:
            setup = _child(url, media, "setup", str(args.schools))
            print(f"  setup {setup['seconds']:.1f} s; workbook {setup['bytes'] / 1024:.0f} KiB, {setup['rows']} rows")
            print(f"  running {args.runs} runs in a fresh subprocess ...")
            sys.stdout.flush()
            result = _child(url, media, "run", str(args.runs))
    finally:
        if not args.keep_db:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ok = _print_table(result, setup)
    print(
        f"machine: {os.cpu_count()} cores; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
        f" (other work on the machine slows every row); whole bench {time.perf_counter() - started:.0f} s"
    )
    return 0 if ok else 1


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _print_table(result: dict[str, Any], setup: dict[str, Any]) -> bool:
    runs = result["runs"]
    median = {k: statistics.median(r[k] for r in runs) for k in ("check", "commit", "total", "recompute")}
    best = min(r["total"] for r in runs)
    time_ok = bool(median["total"] <= TIME_TARGET)
    memory_ok = bool(result["maxrss"] <= MEMORY_TARGET)
    header = (
        "scenario",
        "check",
        "commit (+ recompute)",
        "recompute alone",
        "check + commit",
        "best",
        "runs",
        "queries check/commit",
        "peak RSS",
        "base RSS",
        "time ≤ 5 s",
        "memory ≤ 300 MB",
    )
    row = (
        f"1 county × {setup['rows']} schools, XLSX {setup['bytes'] / 1024:.0f} KiB",
        _fmt(median["check"]),
        _fmt(median["commit"]),
        _fmt(median["recompute"]),
        _fmt(median["total"]),
        _fmt(best),
        str(len(runs)),
        f"{runs[-1]['queries_check']:,} / {runs[-1]['queries_commit']:,}",
        f"{result['maxrss'] / 2**20:.0f} MiB",
        f"{result['base_rss'] / 2**20:.0f} MiB",
        "PASS" if time_ok else "FAIL",
        "PASS" if memory_ok else "FAIL",
    )
    widths = [max(len(h), len(c)) for h, c in zip(header, row, strict=True)]
    line = "  ".join("-" * w for w in widths)
    print()
    print("browser import on PostgreSQL: upload checked (preview stored) and confirmed (applied, recomputed)")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(line)
    outcomes = runs[-1]["outcomes"]
    print(
        f"each run: {outcomes}; times are medians; queries counted with connection.execute_wrapper"
        " (the recompute's COPY not included); peak RSS = ru_maxrss of the subprocess"
        " (Python + Django + openpyxl; base = before the first run)."
    )
    return time_ok and memory_ok


# --- children ---------------------------------------------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _child_main(argv: list[str]) -> int:
    _django()
    out = _setup(int(argv[1])) if argv[0] == "setup" else _run(int(argv[1]))
    print(json.dumps(out))
    return 0


def _workbook_path() -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / "bench-workbook.xlsx"


def _setup(count: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.data import plan_county, statistics_for
    from indicators.services import profile_install_defaults
    from schools import spreadsheet
    from schools.fields import AREA_TYPES, OWNERSHIPS, SCHOOL_TYPES, STAT_KEYS
    from schools.models import AnnualStatistics, District, School, SchoolVersion

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    profile_install_defaults()
    plan = [p for p in plan_county(DISTRICT, count * 2) if not p.closed][:count]
    rows: list[dict[str, Any]] = []
    with transaction.atomic():
        district = District.objects.create(code=DISTRICT, name="导入基准县", province="bench:import")
        schools = School.objects.bulk_create([School(district=district, code=p.code) for p in plan])
        ids = {s.code: s.pk for s in schools}
        versions, stats = [], []
        for p in plan:
            parent = plan[p.parent].code if p.parent is not None else None
            versions.append(
                SchoolVersion(
                    school_id=ids[p.code],
                    valid_from=2020,
                    name=f"基准学校 {p.code}",
                    school_type=p.school_type,
                    parent_id=ids[parent] if parent else None,
                    ownership="private" if p.private else "public",
                    county_run=p.county_run,
                    area_type="urban",
                )
            )
            last = statistics_for(p)
            stats.append(AnnualStatistics(school_id=ids[p.code], year=YEAR - 1, status="approved", **last))
            this = dict(last)
            for key, factor in (("books", 1.02), ("equipment_value", 1.03), ("sports_area", 1.01)):
                if this.get(key) is not None:
                    scaled = float(this[key]) * factor
                    this[key] = round(scaled) if key == "books" else round(scaled, 2)
            rows.append(
                {
                    "district_code": DISTRICT,
                    "year": YEAR,
                    "school_code": p.code,
                    "school_name": f"基准学校 {p.code}",
                    "school_type": SCHOOL_TYPES[p.school_type],
                    "parent_school_code": parent,
                    "ownership": OWNERSHIPS["private" if p.private else "public"],
                    "county_run": "是" if p.county_run else "否",
                    "area_type": AREA_TYPES["urban"],
                    **{k: this.get(k) for k in STAT_KEYS},
                }
            )
        SchoolVersion.objects.bulk_create(versions)
        AnnualStatistics.objects.bulk_create(stats)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    data = spreadsheet.write_workbook(rows, sheet_title="学校统计")
    path = _workbook_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"seconds": time.perf_counter() - started, "rows": len(rows), "bytes": len(data)}


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _run(runs: int) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from core.models import Role, User
    from indicators.models import BalanceResult
    from indicators.services import balance_recompute
    from schools import exchange
    from schools.models import AnnualStatistics, District, ImportJob

    district = District.objects.get(code=DISTRICT)
    user, _created = User.objects.get_or_create(
        username="bench-import", defaults={"role": Role.BUREAU, "district": district}
    )
    data = _workbook_path().read_bytes()
    base_rss = _rss()
    results = []
    for _ in range(runs):
        AnnualStatistics.objects.filter(school__district=district, year=YEAR).delete()
        BalanceResult.objects.filter(district=district, year=YEAR).delete()
        counter = _Counter()
        with connection.execute_wrapper(counter):
            t0 = time.perf_counter()
            job = exchange.import_job_create(
                district=district, year=YEAR, upload=SimpleUploadedFile("county.xlsx", data), user=user
            )
            t1 = time.perf_counter()
            queries_check = counter.count
            job.refresh_from_db()
            assert job.status == ImportJob.State.CHECKED, (job.status, job.message)
            exchange.import_job_confirm(job=job, user=user, reasons={})
            t2 = time.perf_counter()
        job.refresh_from_db()
        assert job.status == ImportJob.State.APPLIED, (job.status, job.message)
        assert BalanceResult.objects.filter(district=district, year=YEAR, is_current=True).exists()
        t3 = time.perf_counter()
        balance_recompute(districts=[district], year=YEAR, force=True)
        recompute = time.perf_counter() - t3
        results.append(
            {
                "check": t1 - t0,
                "commit": t2 - t1,
                "total": t2 - t0,
                "recompute": recompute,
                "queries_check": queries_check,
                "queries_commit": counter.count - queries_check,
                "outcomes": job.report["counts"],
            }
        )
    return {"runs": results, "maxrss": _rss(), "base_rss": base_rss}
