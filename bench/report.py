"""Benchmark of the county report (issues #5 and #16): our render against its honest peers, reuse, memory.

    .venv/bin/python -m bench report [--runs 3] [--keep-db] [--reuse-db] [--fonttools] [--no-chromium] [--json]

Data: the demo county (demo.county.seed_demo, built through the services) grown to 60 evaluation
units under quality-2017 with extra schools added through the same services, then recomputed.
Its county report is about 18 A4 pages.

Rows (each is measured in fresh subprocesses, after Django setup, DEBUG off, median of --runs):
* ours, cold: a worker's first report, nothing reused: reports.services.render_document
  (context from the stored result, template, WeasyPrint with the report font and the safe
  fetcher, the HTML parsed by libxml2: reports.htmlparse). The process first runs the
  renderer's start-up warm-up (reports.pdf.warm_up), as a Celery worker does when it starts,
  before any job; that start-up is its own row. This is the
  `cold_s` of the JSON line, and what the ≥ 2× target compares;
  Its parts (cover and contents, 一–二, 三–七, appendices) render at once in forked processes
  (reports.pdfsplit): wall time is the parent's, CPU time that of the parent and its children;
* ours in one process: the same with REPORT_RENDER_PROCESSES=1 (the whole document in the
  worker's process, as before issue #16's split), for comparison;
* ours, next report: a second render in the same process;
* ours, fresh process without warm-up: the first render in a process that loaded nothing yet
  (fonts, templates and translations are loaded during it);
* ours, HTML → PDF only: the PDF stage alone, first in a fresh process, as the plain rows are;
* plain WeasyPrint with HarfBuzz, the peer (`plain_harfbuzz_s`): the same HTML rendered the
  plain way, `HTML(string=…).render(stylesheets=[…])` (WeasyPrint's own HTML5 parser) then
  `write_pdf()`, with the stylesheet's
  rules but the system's CJK font (Noto Sans CJK SC, no @font-face), WeasyPrint's default URL
  fetcher and default options, and the HarfBuzz subsetter (libharfbuzz-subset0, installed by
  scripts/bootstrap.sh, as WeasyPrint's own documentation asks), first in a fresh process.
  Target: ours, cold ≤ half of it;
* plain, stock machine (`--fonttools`, for information only): the same without
  libharfbuzz-subset0, so WeasyPrint subsets the 19 MB font with fontTools (about 13 s a run);
* headless Chromium (for information, `chromium_s`): `/usr/bin/chromium --headless
  --print-to-pdf` on the same HTML with the same stylesheet linked, wall time of the whole
  command (browser start included) and the CPU of it and its child processes. Chromium has no
  `string-set`, `leader()` or `target-counter()`: its running headers and table of contents
  page numbers are missing, so it does a little less;
* reused report served: a second request with unchanged inputs through the Django test client
  (POST to the report page: fingerprint, reuse, redirect; then GET of the file), median of 20;
* peak RSS: the largest `ru_maxrss` of the render subprocesses (Python, Django and WeasyPrint
  included).

With --json the last line printed is one JSON object of medians:
{"pages", "cold_s", "plain_harfbuzz_s", "chromium_s", "reused_ms"}.

It creates its own database (BENCH_REPORT_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/balance_bench_report) and drops it at the end; it refuses
`balance`, `postgres`, `template*` and `test*`. The machine is shared: the closing line gives the
load average, and CPU seconds are printed next to wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/balance_bench_report"
DISTRICT, YEAR, PROFILE = "130188", 2026, "quality-2017"
TARGET_UNITS = 60
# Targets of issue #5 and issue #16 on a 2-core machine.
COLD_TARGET = 3.0
PEER_RATIO_TARGET = 2.0  # plain WeasyPrint with HarfBuzz ÷ ours, cold
PAGES_TARGET = 15
REUSE_TARGET = 0.050
MEMORY_TARGET = 500 * 1024 * 1024
CHROMIUM = "/usr/bin/chromium"


# --- parent ---------------------------------------------------------------------------------


def _database_url() -> str:
    url = os.environ.get("BENCH_REPORT_DATABASE_URL", DEFAULT_URL)
    name = urlsplit(url).path.lstrip("/")
    if not name or name in ("balance", "postgres") or name.startswith(("test", "template")):
        sys.exit(f"bench: refusing to create or drop database {name!r}; set BENCH_REPORT_DATABASE_URL")
    return url


def _admin(url: str, sql: str, params: list[Any] | None = None) -> Any:
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchone() if params is not None else conn.execute(sql)


def _child(url: str, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="balance.settings",
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-not-for-production",  # noqa: S106 - a throwaway database
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",  # the reuse row goes through the test client
        REPORT_RENDER_IN_THREAD="false",  # no broker: the reuse row's first request renders inline, as a worker
        MEDIA_ROOT=str(Path(os.environ.get("BENCH_REPORT_MEDIA", "/tmp/balance-bench-report-media"))),  # noqa: S108
    )
    cmd = [sys.executable, "-m", "bench", "report", "--child", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"bench: child {' '.join(args)} failed ({proc.returncode})")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench report", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per cold row (median)")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--reuse-db", action="store_true", help="reuse a kept database and its data")
    parser.add_argument(
        "--fonttools", action="store_true", help="add the stock-machine plain row (fontTools, about 13 s a run)"
    )
    parser.add_argument("--no-chromium", action="store_true", help="skip the headless Chromium row")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the medians")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args.child)

    url = _database_url()
    name = urlsplit(url).path.lstrip("/")
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    exists = _admin(url, "SELECT 1 FROM pg_database WHERE datname = %s", [name]) is not None
    if not args.reuse_db and exists:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = False
    if not exists:
        _admin(url, f'CREATE DATABASE "{name}"')
    try:
        print(f"bench report: database {name}; the demo county grown to {TARGET_UNITS} units ...")
        sys.stdout.flush()
        setup = _child(url, "setup")
        print(f"  setup {setup['seconds']:.1f} s: {setup['schools']} schools, {setup['units']} units in the CV")
        rows = _measure(url, args.runs, fonttools=args.fonttools, chromium=not args.no_chromium)
    finally:
        if not args.keep_db:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    status, summary = _print_table(rows)
    print(
        f"machine: {os.cpu_count()} cores; load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
        f" (other work slows every wall time; CPU seconds are less affected); whole bench"
        f" {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        print(json.dumps(summary))
    return status


def _progress(message: str) -> None:
    print(f"  {message} ...")
    sys.stdout.flush()


def _measure(url: str, runs: int, *, fonttools: bool, chromium: bool) -> dict[str, Any]:
    ours, single, split, fresh, ours_pdf, plain_hb, plain_ft = [], [], [], [], [], [], []
    # Ours and its peer in turn, run after run, so that a slow spell of the machine hits both.
    for i in range(runs):
        _progress(
            f"run {i + 1}/{runs}: ours (a worker's first and next report), plain WeasyPrint with HarfBuzz,"
            " ours in one process, ours in parts whatever the load"
        )
        ours.append(_child(url, "ours"))
        plain_hb.append(_child(url, "plain", "harfbuzz"))
        single.append(_child(url, "ours-single"))
        split.append(_child(url, "ours-split"))
    for i in range(runs):
        _progress(f"run {i + 1}/{runs}: ours in a fresh process without warm-up, ours HTML → PDF only")
        fresh.append(_child(url, "ours-fresh"))
        ours_pdf.append(_child(url, "ours-pdf"))
    if fonttools:
        for i in range(runs):
            _progress(f"plain as on a stock machine (fontTools subsetting), run {i + 1}/{runs}")
            plain_ft.append(_child(url, "plain", "fonttools"))
    chrome: list[dict[str, Any]] = []
    if chromium:
        html = Path(_child(url, "html")["path"])
        try:
            for i in range(runs):
                _progress(f"headless Chromium on the same HTML, run {i + 1}/{runs}")
                chrome.append(_chromium(html))
        finally:
            html.unlink(missing_ok=True)
    _progress("reused report served, 20 requests")
    reuse = _child(url, "reuse")
    return {
        "ours": ours,
        "single": single,
        "split": split,
        "fresh": fresh,
        "ours_pdf": ours_pdf,
        "plain_ft": plain_ft,
        "plain_hb": plain_hb,
        "chromium": chrome,
        "reuse": reuse,
    }


def _chromium(html: Path) -> dict[str, Any]:
    """`chromium --headless --print-to-pdf` on the HTML file: wall and CPU of the whole command."""
    import resource

    out = html.with_suffix(".pdf")
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # the bench may run as root (CI); the sandbox refuses root
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--print-to-pdf={out}",
        html.as_uri(),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False, timeout=120)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or not out.is_file():
        raise SystemExit(f"bench: chromium failed ({proc.returncode}): {proc.stderr[-2000:]!r}")
    data = out.read_bytes()
    out.unlink()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"pdf": wall, "cpu": cpu, "pages": len(re.findall(rb"/Type\s*/Page[^s]", data))}


def _median(items: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(item[key] for item in items))


def _spread(items: list[dict[str, Any]], key: str) -> str:
    values = [item[key] for item in items]
    return f"{_fmt_s(min(values))}–{_fmt_s(max(values))}" if len(values) > 1 else ""


def _print_table(rows: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    ours, reuse = rows["ours"], rows["reuse"]
    cold_total = _median(ours, "cold_total")
    plain_hb = _median(rows["plain_hb"], "pdf")
    peer_ratio = plain_hb / cold_total
    peak = max(o["peak_rss"] for o in [*ours, *rows["single"], *rows["split"], *rows["fresh"]])
    pages = ours[0]["pages"]
    checks = {
        "cold": cold_total <= COLD_TARGET,
        "peer": peer_ratio >= PEER_RATIO_TARGET,
        "pages": pages >= PAGES_TARGET,
        "reuse": reuse["median"] <= REUSE_TARGET and reuse["renders"] == 1,
        "memory": peak <= MEMORY_TARGET,
    }
    table = [
        ("row", "wall", "CPU", "runs (wall)", "pages", "target", "result"),
        (
            "ours, cold: a worker's first report",
            _fmt_s(cold_total),
            _fmt_s(_median(ours, "cold_cpu")),
            _spread(ours, "cold_total"),
            str(pages),
            f"≤ {COLD_TARGET:g} s, ≥ {PAGES_TARGET} pages",
            _pass(checks["cold"] and checks["pages"]),
        ),
        ("  (its start-up warm-up, before any job)", _fmt_s(_median(ours, "warm_up")), "", "", "", "", ""),
        (
            "plain WeasyPrint with HarfBuzz (the peer)",
            _fmt_s(plain_hb),
            _fmt_s(_median(rows["plain_hb"], "cpu")),
            _spread(rows["plain_hb"], "pdf"),
            str(rows["plain_hb"][0]["pages"]),
            "",
            "",
        ),
        (
            "  peer ÷ ours, cold",
            f"{peer_ratio:.2f}×",
            f"{_median(rows['plain_hb'], 'cpu') / _median(ours, 'cold_cpu'):.2f}×",
            "",
            "",
            f"≥ {PEER_RATIO_TARGET:g}× (wall)",
            _pass(checks["peer"]),
        ),
        (
            "ours in one process (REPORT_RENDER_PROCESSES=1), cold",
            _fmt_s(_median(rows["single"], "cold_total")),
            _fmt_s(_median(rows["single"], "cold_cpu")),
            _spread(rows["single"], "cold_total"),
            str(rows["single"][0]["pages"]),
            "",
            "",
        ),
        (
            "ours in parts at once whatever the load (REPORT_SPLIT_LOAD=0), cold",
            _fmt_s(_median(rows["split"], "cold_total")),
            _fmt_s(_median(rows["split"], "cold_cpu")),
            _spread(rows["split"], "cold_total"),
            str(rows["split"][0]["pages"]),
            "",
            "",
        ),
        (
            "  peer ÷ it",
            f"{plain_hb / _median(rows['split'], 'cold_total'):.2f}×",
            f"{_median(rows['plain_hb'], 'cpu') / _median(rows['split'], 'cold_cpu'):.2f}×",
            "",
            "",
            "",
            "",
        ),
        (
            "ours, a worker's next report",
            _fmt_s(_median(ours, "warm_total")),
            _fmt_s(_median(ours, "warm_cpu")),
            _spread(ours, "warm_total"),
            "",
            "",
            "",
        ),
        (
            "ours, fresh process without warm-up",
            _fmt_s(_median(rows["fresh"], "cold_total")),
            _fmt_s(_median(rows["fresh"], "cold_cpu")),
            _spread(rows["fresh"], "cold_total"),
            "",
            "",
            "",
        ),
        (
            "ours, HTML → PDF only (fresh process)",
            _fmt_s(_median(rows["ours_pdf"], "pdf")),
            _fmt_s(_median(rows["ours_pdf"], "cpu")),
            _spread(rows["ours_pdf"], "pdf"),
            "",
            "",
            "",
        ),
    ]
    for key, label in (
        ("plain_ft", "plain, stock machine, fontTools (info only)"),
        ("chromium", "headless Chromium, browser start included (info)"),
    ):
        if rows[key]:
            table.append(
                (
                    label,
                    _fmt_s(_median(rows[key], "pdf")),
                    _fmt_s(_median(rows[key], "cpu")),
                    _spread(rows[key], "pdf"),
                    str(rows[key][0]["pages"]),
                    "",
                    "",
                )
            )
            table.append(("  it ÷ ours, cold", f"{_median(rows[key], 'pdf') / cold_total:.2f}×", "", "", "", "", ""))
    table += [
        (
            "reused report served (POST + GET file)",
            _fmt_s(reuse["median"]),
            "",
            "",
            "",
            f"≤ {REUSE_TARGET * 1000:g} ms",
            _pass(checks["reuse"]),
        ),
        (
            "peak RSS of a render subprocess",
            f"{peak / 2**20:.0f} MiB",
            "",
            "",
            "",
            f"≤ {MEMORY_TARGET // 2**20} MiB",
            _pass(checks["memory"]),
        ),
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for n, row in enumerate(table):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"reuse: {reuse['median'] * 1000:.1f} ms median, {reuse['p95'] * 1000:.1f} ms p95 over {reuse['n']}"
        f" (POST: fingerprint and reuse decision {reuse['post'] * 1000:.1f} ms; GET of the file"
        f" {reuse['get'] * 1000:.1f} ms); fingerprint alone {reuse['fingerprint'] * 1000:.1f} ms;"
        f" renders during the reuse run: {reuse['renders']}"
    )
    print(
        f"file: {rows['split'][0]['bytes'] / 1024:.0f} KiB from the parts, {rows['single'][0]['bytes'] / 1024:.0f} KiB"
        f" from one process; pages {rows['split'][0]['pages']} and {rows['single'][0]['pages']}; ours, cold rendered"
        f" in parts in {sum(o['split'] for o in ours)} of {len(ours)} runs (load average below the cores)"
    )
    print(f"interpreter: {ours[0]['python']}")
    summary = {
        "pages": pages,
        "cold_s": round(cold_total, 3),
        "plain_harfbuzz_s": round(plain_hb, 3),
        "chromium_s": round(_median(rows["chromium"], "pdf"), 3) if rows["chromium"] else None,
        "reused_ms": round(reuse["median"] * 1000, 1),
    }
    return (0 if all(checks.values()) else 1), summary


def _pass(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- children -------------------------------------------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _child_main(argv: list[str]) -> int:
    _django()
    mode = argv[0]
    if mode == "setup":
        out = _setup()
    elif mode == "ours":
        out = _ours()
    elif mode == "ours-fresh":
        out = _ours(warm_up=False)
    elif mode == "ours-single":
        out = _ours(processes=1)
    elif mode == "ours-split":
        out = _ours(split_load=0)
    elif mode == "ours-pdf":
        out = _ours_pdf()
    elif mode == "plain":
        out = _plain(fonttools=argv[1] == "fonttools")
    elif mode == "html":
        out = _html_file()
    else:
        out = _reuse()
    print(json.dumps(out))
    return 0


def _setup() -> dict[str, Any]:
    """The demo county plus schools added through the services until 60 units enter the CV."""
    from django.core.management import call_command

    from core.models import User
    from demo.county import DemoSchool, seed_demo, statistics_for
    from indicators.models import BalanceResult
    from indicators.services import balance_recompute, profile_install_defaults
    from schools import services
    from schools.models import District

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    profile_install_defaults()
    district = District.objects.filter(code=DISTRICT).first() or seed_demo()
    bureau = User.objects.get(username="bureau")

    def units() -> int:
        balance_recompute(districts=[district], year=YEAR)
        result = BalanceResult.objects.get(district=district, year=YEAR, profile_name=PROFILE, is_current=True)
        return len(result.outcome.included())

    n = units()
    index = 0
    towns = ["东城", "西城", "南关", "北关", "新华", "和平", "建设", "胜利", "光明", "团结", "解放", "人民"]
    while n < TARGET_UNITS:
        for _ in range(TARGET_UNITS - n):
            index += 1
            junior = index % 3 == 0
            spec = DemoSchool(
                code=f"1301889{index:03d}",
                name=f"清源县{towns[index % len(towns)]}第{index}{'初级中学' if junior else '小学'}",
                school_type="junior" if junior else "primary",
                area_type=("urban", "town", "rural")[index % 3],
                size=300 + 97 * (index % 11),
                quality=0.86 + 0.03 * (index % 8),
            )
            school = services.school_create(
                district=district,
                code=spec.code,
                year=YEAR - 2,
                user=bureau,
                name=spec.name,
                school_type=spec.school_type,
                area_type=spec.area_type,
            )
            stats = services.statistics_save(
                school=school, year=YEAR, raw=statistics_for(spec, 2, 0), user=bureau
            ).statistics
            services.statistics_submit(stats=stats, user=bureau)
            services.statistics_approve(stats=stats, user=bureau)
        n = units()
    return {"seconds": time.perf_counter() - started, "schools": district.schools.count(), "units": n}


def _rss() -> int:
    """Peak RSS of this process or of the largest of its (reaped) children: the parts' processes."""
    import resource

    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) * 1024


def _cpu() -> float:
    """CPU seconds of this process and of its reaped children (the report's parts render in forks)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _ours(*, warm_up: bool = True, processes: int | None = None, split_load: float | None = None) -> dict[str, Any]:
    """A worker's first report (cold: nothing reused) and its next one, in a fresh process.

    A Celery worker warms the renderer up when it starts (reports.tasks.warm_up_renderer), before
    it takes any job; that start-up is timed on its own. Without `warm_up`, the first report also
    pays for loading fonts, templates and translations (the "fresh process" row).
    """
    from django.conf import settings

    from reports import pdf, pdfsplit
    from reports.services import TEMPLATES, render_document
    from schools.models import District

    if processes is not None:
        settings.REPORT_RENDER_PROCESSES = processes
    if split_load is not None:
        settings.REPORT_SPLIT_LOAD = split_load
    district = District.objects.get(code=DISTRICT)
    base = _rss()
    t0 = time.perf_counter()
    if warm_up:
        pdf.warm_up(tuple(TEMPLATES.values()))
    warmed = time.perf_counter() - t0
    timings = []
    in_parts = pdfsplit.processes() > 1 and pdfsplit.cores_idle()  # what the first render will decide
    for _ in range(2):
        t0, c0 = time.perf_counter(), _cpu()
        data, pages = render_document(
            kind="county", fmt="pdf", district=district, school=None, year=YEAR, profile_name=PROFILE
        )
        timings.append((time.perf_counter() - t0, _cpu() - c0, pages, len(data)))
    return {
        "split": in_parts,
        "warm_up": warmed,
        "cold_total": timings[0][0],
        "cold_cpu": timings[0][1],
        "warm_total": timings[1][0],
        "warm_cpu": timings[1][1],
        "pages": timings[0][2],
        "bytes": timings[0][3],
        "peak_rss": _rss(),
        "base_rss": base,
        "python": f"{sys.executable} (Python {sys.version.split()[0]})",
    }


def _ours_pdf() -> dict[str, Any]:
    """Our HTML → PDF stage alone, first in a fresh process (as the plain row is measured)."""
    from reports import pdf, pdfsplit, selectors
    from schools.models import District

    district = District.objects.get(code=DISTRICT)
    html = pdf.render_html(
        "reports/pdf/county.html",
        selectors.county_report_context(district=district, year=YEAR, profile_name=PROFILE),
    )
    t0, c0 = time.perf_counter(), _cpu()
    rendered = pdfsplit.render_split(html)
    return {"pdf": time.perf_counter() - t0, "cpu": _cpu() - c0, "pages": rendered.pages}


def _plain(*, fonttools: bool) -> dict[str, Any]:
    """The same HTML, the plain way: system CJK font, default fetcher, default options."""
    from django.conf import settings
    from weasyprint import CSS, HTML

    from reports.charts import REPORT_FONT
    from reports.pdf import render_html
    from reports.selectors import county_report_context
    from schools.models import District

    if fonttools:
        from weasyprint.pdf import fonts

        fonts.harfbuzz_subset = None  # WeasyPrint then subsets with fontTools
    district = District.objects.get(code=DISTRICT)
    html = render_html(
        "reports/pdf/county.html", county_report_context(district=district, year=YEAR, profile_name=PROFILE)
    )
    html = html.replace(REPORT_FONT, 'font-family="Noto Sans CJK SC, sans-serif"')
    static = Path(settings.BASE_DIR) / "static"
    css = (static / "reports/print.css").read_text(encoding="utf-8")
    css = re.sub(r"@font-face\s*{[^}]*}", "", css).replace('"Report Sans SC", ', "")
    t0, c0 = time.perf_counter(), time.process_time()
    document = HTML(string=html, base_url=static.as_uri() + "/").render(stylesheets=[CSS(string=css)])
    document.write_pdf()
    return {"pdf": time.perf_counter() - t0, "cpu": time.process_time() - c0, "pages": len(document.pages)}


def _html_file() -> dict[str, Any]:
    """The same HTML with the print stylesheet linked (file: URLs), for headless Chromium."""
    import tempfile

    from django.conf import settings

    from reports.pdf import render_html
    from reports.selectors import county_report_context
    from schools.models import District

    district = District.objects.get(code=DISTRICT)
    html = render_html(
        "reports/pdf/county.html", county_report_context(district=district, year=YEAR, profile_name=PROFILE)
    )
    css = (Path(settings.BASE_DIR) / "static" / "reports" / "print.css").as_uri()
    html = html.replace("</head>", f'<link rel="stylesheet" href="{css}"></head>', 1)
    handle, path = tempfile.mkstemp(prefix="bench-report-", suffix=".html")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(html)
    return {"path": path}


def _reuse() -> dict[str, Any]:
    from unittest import mock

    from django.test import Client
    from django.urls import reverse

    from core.models import User
    from reports import selectors, services
    from schools.models import District

    district = District.objects.get(code=DISTRICT)
    client = Client()
    client.force_login(User.objects.get(username="inspector"))
    page = reverse("reports:district_reports", args=[district.code])
    form = {"kind": "county", "year": YEAR, "profile": PROFILE, "fmt": "pdf"}
    # DEBUG is off, so session cookies are Secure: the client speaks "HTTPS" (secure=True).
    first = client.post(page, form, secure=True)  # the first request renders (tasks run in-process without REDIS_URL)
    assert first.status_code == 302 and "job=" in first["Location"], (first.status_code, first.get("Location"))
    real = services.render_document
    calls = []

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs)

    times, posts, gets = [], [], []
    with mock.patch.object(services, "render_document", side_effect=counting):
        for _ in range(20):
            t0 = time.perf_counter()
            response = client.post(page, form, secure=True)
            t1 = time.perf_counter()
            job_id = int(response["Location"].rsplit("=", 1)[1])
            download = client.get(reverse("reports:job_download", args=[job_id]), secure=True)
            body = download.getvalue()
            t2 = time.perf_counter()
            times.append(t2 - t0)
            posts.append(t1 - t0)
            gets.append(t2 - t1)
            assert body.startswith(b"%PDF")
    t0 = time.perf_counter()
    for _ in range(20):
        selectors.report_identity(
            kind="county", fmt="pdf", district=district, school=None, year=YEAR, profile_name=PROFILE
        )
    fingerprint = (time.perf_counter() - t0) / 20
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "n": len(times),
        "renders": 1 + len(calls),
        "fingerprint": fingerprint,
        "post": statistics.median(posts),
        "get": statistics.median(gets),
    }
