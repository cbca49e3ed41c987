"""Scenario benchmark: one what-if change on a 200-school county, answered (issue #15, item 1).

    .venv/bin/python -m bench scenario [--changes 20] [--runs 2] [--keep-db] [--reuse-db] [--json]

What it does, on this machine:
* The county of `bench load` (200 open schools, three school years, balance results stored) in
  its own database, BENCH_SCENARIO_DATABASE_URL (default
  postgres://postgres@127.0.0.1:5432/balance_load_scenario; the name must start with
  balance_load), seeded by `bench load`'s own setup; dropped at the end.
* Then `--runs` fresh processes (DEBUG=false, no REDIS_URL, as production runs a web process),
  each opening one scenario on the latest year under quality-2017 and making `--changes` changes,
  one at a time: a 骨干 teacher of the primary section moved between the two primary schools with
  the most of them, back and forth. Per change it times, each on its own:
  - `load inputs`: indicators.selectors.county_inputs for the county-year (what every request
    reads once);
  - `evaluate`: the engine over the county as it is and as changed (one batch of two counties),
    read through BalanceOutcome, and paired for the page (scenarios.presentation.compare): pure;
  - `edit (service)`: scenarios.services.scenario_apply_edit (lock, revision check, inputs,
    the edit, save, audit row);
  - `POST + GET (HTTP)`: what the clerk waits for: the form's POST (edit, redirect) and the GET
    of the scenario page (inputs, evaluation, the whole page rendered), through Django's test
    client in-process (middleware, sessions, CSRF, templates; no network, no gunicorn).
  Each with the median, p90 and max wall time, the median CPU time of the Python process
  (`time.process_time`; PostgreSQL's backend is not counted) and the queries of one call.
* Target: `POST + GET (HTTP)` median ≤ 200 ms (issue #15: one change answers in ≤ 200 ms).
  Exit status 1 when it fails.

The machine may be shared: the closing line prints the load average before and after; compare
the CPU column, which other work moves least. `--json` prints one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bench import load

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/balance_load_scenario"
TARGET_MS = 200.0
PROFILE = "quality-2017"
MEASURES = ("load inputs", "evaluate", "edit (service)", "POST + GET (HTTP)")
TARGETED = "POST + GET (HTTP)"


def _database_url() -> str:
    url = os.environ.get("BENCH_SCENARIO_DATABASE_URL", DEFAULT_URL)
    os.environ["BENCH_LOAD_DATABASE_URL"] = url  # load's safety checks (name, loopback) apply to it
    load._database_url()
    return url


# --- the measuring child (the bench database's settings, django set up) -----------------------


def _timed(fn: Callable[[], Any]) -> tuple[float, float, int, Any]:
    """(wall ms, CPU ms, queries, result) of one call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        cpu, wall = time.process_time(), time.perf_counter()
        result = fn()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall * 1000, cpu * 1000, len(queries.captured_queries), result


def _measure(changes: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from bench.data import YEAR
    from core.models import User
    from scenarios import presentation, selectors, services
    from scenarios.edits import Edit
    from schools.models import District

    district = District.objects.get(code=load.DISTRICT_CODE)
    user = User.objects.get(username=load.USERNAME)
    scenario = services.scenario_create(
        district=district, year=YEAR, profile_name=PROFILE, name="bench", changes=[], user=user
    )
    inputs = selectors.county_inputs(district, YEAR)
    profile = selectors.profile_for(district, PROFILE)
    assert profile is not None
    primaries = sorted(
        (r for r in inputs.records if r.school_type == "primary" and r.ownership == "public" and r.county_run),
        key=lambda r: -(r.stats.get("backbone_teachers_primary") or 0),
    )
    giver, taker = primaries[0].school_code, primaries[1].school_code
    client = Client()
    client.force_login(user)
    url = reverse("scenarios:detail", args=[scenario.pk])
    client.get(url)  # the first request of a process loads templates and translations: not timed
    samples: dict[str, list[tuple[float, float, int]]] = {m: [] for m in MEASURES}

    def move(step: int) -> dict[str, Any]:
        a, b = (giver, taker) if step % 2 == 0 else (taker, giver)
        return {
            "kind": "move",
            "school_code": a,
            "to_school_code": b,
            "level": "primary",
            "teacher_kind": "backbone_teachers",
            "count": 1,
        }

    cv_moved = 0
    for step in range(changes):
        wall, cpu, queries, loaded = _timed(lambda: selectors.county_inputs(district, YEAR))
        samples["load inputs"].append((wall, cpu, queries))
        scenario.refresh_from_db()
        current = selectors.stored_changes(scenario)

        def evaluate(loaded: Any = loaded, current: Any = current) -> Any:
            evaluated = selectors.evaluate_changes(loaded, profile, current, district=district.code, year=YEAR)
            return presentation.compare(evaluated)

        wall, cpu, queries, comparison = _timed(evaluate)
        samples["evaluate"].append((wall, cpu, queries))
        cv_moved += any(r.changed for level in comparison.levels for r in level.rows)

        def edit(step: int = step, scenario: Any = scenario) -> Any:
            return services.scenario_apply_edit(
                scenario=scenario, edit=Edit.from_data(move(step)), user=user, expected_revision=scenario.revision
            )

        wall, cpu, queries, scenario = _timed(edit)
        samples["edit (service)"].append((wall, cpu, queries))

        def http(step: int = step + 1, revision: int = scenario.revision) -> int:
            posted = client.post(url, {**move(step), "revision": revision})
            assert posted.status_code == 302, posted.status_code
            page = client.get(url)
            assert page.status_code == 200, page.status_code
            return len(page.content)

        wall, cpu, queries, size = _timed(http)
        samples["POST + GET (HTTP)"].append((wall, cpu, queries))
    return {
        "samples": samples,
        "schools": len(inputs.records),
        "page_bytes": size,
        "cv_changed_in": cv_moved,
        "python": sys.version.split()[0],
    }


def _child_main(argv: list[str]) -> int:
    sys.path.insert(0, str(load.ROOT))
    import django

    django.setup()
    if argv[0] == "measure":
        print(json.dumps(_measure(int(argv[1]))))
    return 0


def _run_child(url: str, changes: int) -> dict[str, Any]:
    env = load._server_env(url, PYTHONHASHSEED="0")
    env["ALLOWED_HOSTS"] = "testserver,127.0.0.1"  # Django's test client asks for "testserver"
    cmd = [sys.executable, "-m", "bench", "scenario", "--child", "measure", str(changes)]
    proc = subprocess.run(cmd, cwd=load.ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"bench scenario: measuring child failed ({proc.returncode})")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# --- the table ----------------------------------------------------------------------------------


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def _rows(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for measure in MEASURES:
        for number, run in enumerate(runs, 1):
            samples = run["samples"][measure]
            walls = [s[0] for s in samples]
            rows.append(
                {
                    "measure": measure,
                    "run": number,
                    "n": len(samples),
                    "median_ms": statistics.median(walls),
                    "p90_ms": _p90(walls),
                    "max_ms": max(walls),
                    "cpu_ms": statistics.median(s[1] for s in samples),
                    "queries": int(statistics.median(s[2] for s in samples)),
                }
            )
    return rows


def _print(rows: list[dict[str, Any]], verdict: bool, runs: list[dict[str, Any]]) -> None:
    head = (
        f"{'measure':<20} {'run':>3} {'n':>3} {'median ms':>10} {'p90 ms':>8} {'max ms':>8} {'CPU ms':>8}"
        f" {'queries':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['measure']:<20} {r['run']:>3} {r['n']:>3} {r['median_ms']:>10.1f} {r['p90_ms']:>8.1f}"
            f" {r['max_ms']:>8.1f} {r['cpu_ms']:>8.1f} {r['queries']:>8}"
        )
    print(
        f"target: {TARGETED} median <= {TARGET_MS:.0f} ms in every run: {'PASS' if verdict else 'FAIL'}"
        f" ({runs[0]['schools']} schools with statistics; page {runs[0]['page_bytes']:,} bytes;"
        f" Python {runs[0]['python']})"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scenario", description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=20, help="changes made (and timed) per run")
    parser.add_argument("--runs", type=int, default=2, help="measuring processes, one after another")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--reuse-db", action="store_true", help="reuse a kept database and its data")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args.child)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = _database_url()
    name = urlsplit(url).path.lstrip("/")
    load_before = os.getloadavg()
    started = time.perf_counter()
    if not args.reuse_db:
        load._admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not args.reuse_db or not load._exists(url, name):
        load._admin(url, f'CREATE DATABASE "{name}"')
    try:
        print(f"bench scenario: database {name}; seeding the {load.SCHOOLS}-school county of bench load")
        sys.stdout.flush()
        load._child(url, secrets.token_urlsafe(24), "setup")
        runs = []
        for number in range(1, args.runs + 1):
            print(f"  run {number}: {args.changes} changes in a fresh process ...")
            sys.stdout.flush()
            runs.append(_run_child(url, args.changes))
    finally:
        if not args.keep_db:
            load._admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    rows = _rows(runs)
    verdict = all(r["median_ms"] <= TARGET_MS for r in rows if r["measure"] == TARGETED)
    _print(rows, verdict, runs)
    load_after = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores; load average (1, 5, 15 min) {load_before[0]:.2f} {load_before[1]:.2f}"
        f" {load_before[2]:.2f} before, {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} after;"
        f" whole bench {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "scenario",
                    "schools": runs[0]["schools"],
                    "rows": rows,
                    "target_ms": TARGET_MS,
                    "passes": verdict,
                    "load_average": {"before": list(load_before), "after": list(load_after)},
                }
            )
        )
    return 0 if verdict else 1
