"""Load benchmark: 20 users for 60 s over the pages and the API of a 200-school county (issue #8).

    .venv/bin/python -m bench load [--users 20] [--duration 60] [--workers 3] [--threads 1]

What it does, all on this machine over loopback (127.0.0.1 only):
* Creates its own PostgreSQL database (BENCH_LOAD_DATABASE_URL, default
  postgres://postgres@127.0.0.1:5432/balance_load), migrates it and seeds one county of 200 open
  schools (bench/data.py's generator, inserted with bulk_create) with three years of statistics,
  computes its balance results with `indicators.services.balance_recompute`, and makes a bureau
  user. The database is dropped at the end (`--keep-db` keeps it, `--reuse-db` reuses it).
* Starts gunicorn (`balance.wsgi:application`) on 127.0.0.1 and a free port as production runs
  it: DEBUG=false, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no REDIS_URL, and
  SECURE_SSL_REDIRECT=false since loopback has no TLS. It is always stopped, workers included.
* Logs in through the login form (the session cookie is sent back by hand: it is marked Secure,
  which an HTTP client honouring cookie rules would not send over plain http) and takes an API
  token from POST /api/v1/auth/token/.
* Runs `--users` virtual users (threads, each with its own keep-alive urllib3 connection, as a
  browser has) for `--warmup` seconds, not counted, then `--duration` seconds, each cycling over:
  / (which redirects to the district's school list; the redirect is followed), the school list
  for a year, the balance page for a year and profile, /api/v1/schools/, /api/v1/statistics/ and
  /api/v1/results/ (token). A user waits
  `--think` seconds on average (uniformly 0.5x-1.5x) between requests, as a person reading a page
  would; `--think 0` is a closed loop at full speed (a stress test, not 20 people).
* Prints a table per endpoint and overall: requests, errors (an unexpected status or an exception),
  throughput, p50/p95/p99/max in ms; PASS/FAIL for "no errors" and "p95 <= 150 ms".

The load generator runs on the same 2 cores as gunicorn and PostgreSQL: the closing lines say how
much CPU each used. Bounded: every user stops at the deadline (and after MAX_REQUESTS_PER_USER),
every request has a timeout.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import ipaddress
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/balance_load"
DISTRICT_CODE = "990001"
DISTRICT_TAG = "bench:load"
SCHOOLS = 200  # open schools in the county
USERNAME = "bench_load_bureau"
P95_TARGET_MS = 150.0
MAX_REQUESTS_PER_USER = 100_000
REQUEST_TIMEOUT = 30.0


# --- safety: which database, which address --------------------------------------------------


def _database_url() -> str:
    url = os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("balance_load"):
        sys.exit(f"bench load: refusing to create or drop database {name!r}; its name must start with balance_load")
    host = parts.hostname or ""
    if host and host != "localhost" and not host.startswith("/"):
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = False
        if not local:
            sys.exit(f"bench load: the database must be on this machine (loopback), not {host!r}")
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


@contextmanager
def _only_run(url: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock for the whole run: a second `bench load` at the same time would
    drop this one's database and share its 2 cores, so it is refused."""
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(hashtext('balance bench load'))").fetchone()
        if not row or not row[0]:
            sys.exit("bench load: another `bench load` is running against this PostgreSQL; wait for it to finish")
        yield


def _server_env(url: str, **extra: str) -> dict[str, str]:
    drop = ("REDIS_URL", "DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "BALANCE_TESTING")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="balance.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),  # a throwaway key per run
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",  # loopback has no TLS; cookies stay marked Secure
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


# --- setup (in a child process with the bench database's settings) ---------------------------


def _plan_target() -> int:
    """The evaluation-unit target for which bench/data.py's plan has exactly SCHOOLS open schools."""
    from bench.data import plan_county

    best = (SCHOOLS * 10, 0)
    for target in range(SCHOOLS, SCHOOLS * 2):
        opened = sum(1 for p in plan_county(DISTRICT_CODE, target) if not p.closed)
        if opened == SCHOOLS:
            return target
        best = min(best, (abs(opened - SCHOOLS), target))
    return best[1]


def _setup(password: str) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.data import STATUSES, YEAR, Scenario, create_scenario, plan_county, statistics_for
    from core.models import Role, User
    from indicators.models import BalanceResult
    from indicators.selectors import profiles_for_district
    from indicators.services import balance_recompute, profile_install_defaults
    from schools.models import AnnualStatistics, District, School

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    profile_install_defaults()
    years = [YEAR - 2, YEAR - 1, YEAR]
    district = District.objects.filter(code=DISTRICT_CODE).first()
    if district is None:
        target = _plan_target()
        # One county: bench/data.py inserts its schools, versions and the latest year's statistics.
        create_scenario(Scenario("load", "load county", 1, target, int(DISTRICT_CODE)))
        district = District.objects.get(code=DISTRICT_CODE)
        district.name, district.province, district.resident_population = "压测县", DISTRICT_TAG, 420_000
        district.save()
        # The two earlier years: the same schools, their figures drawn afresh per year, all approved.
        plans = {p.code: p for p in plan_county(DISTRICT_CODE, target)}
        latest = AnnualStatistics.objects.filter(school__district=district, year=YEAR).select_related("school")
        earlier = [
            AnnualStatistics(
                school_id=stats.school_id,
                year=year,
                status="approved",
                revision=1,
                **statistics_for(dataclasses.replace(plans[stats.school.code], code=f"{stats.school.code}/{year}")),
            )
            for stats in latest
            for year in years[:-1]
        ]
        with transaction.atomic():
            AnnualStatistics.objects.bulk_create(earlier, batch_size=2000)
        for year in years:
            balance_recompute(districts=[district], year=year, force=True)
    user = User.objects.filter(username=USERNAME).first() or User(username=USERNAME)
    user.role, user.district, user.display_name = Role.BUREAU, district, "压测教育局"
    user.set_password(password)
    user.save()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would on a live database
    return {
        "seconds": time.perf_counter() - started,
        "district": district.code,
        "district_name": district.name,
        "schools": School.objects.filter(district=district).count(),
        "statistics": AnnualStatistics.objects.filter(school__district=district).count(),
        "results": BalanceResult.objects.filter(district=district, is_current=True).count(),
        "years": years,
        "profiles": [p.name for p in profiles_for_district(district)],
        "statuses": sorted(set(STATUSES)),
    }


def _child_main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if argv[0] == "setup":
        print(json.dumps(_setup(os.environ["BENCH_LOAD_PASSWORD"])))
    return 0


def _child(url: str, password: str, *args: str) -> dict[str, Any]:
    env = _server_env(url, BENCH_LOAD_PASSWORD=password, PYTHONHASHSEED="0")
    cmd = [sys.executable, "-m", "bench", "load", "--child", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"bench load: child {' '.join(args)} failed ({proc.returncode})")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# --- gunicorn ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    workers: int
    threads: int
    log: Path

    def log_tail(self, lines: int = 12) -> list[str]:
        """The end of gunicorn's log, without whitenoise's warning that there is no STATIC_ROOT."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        kept = [line for line in text.splitlines() if line.strip() and "staticfiles" not in line]
        return [line for line in kept if "mw_instance = middleware" not in line][-lines:]

    @property
    def config(self) -> str:
        kind = "sync" if self.threads == 1 else "gthread"
        return f"--workers {self.workers} --threads {self.threads} ({kind})"


def _wait_ready(server: Server, deadline: float) -> None:
    import urllib3

    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, retries=False, timeout=2.0)
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            if pool.request("GET", "/accounts/login/", redirect=False).status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-3000:] if server.log.exists() else ""
    raise RuntimeError(f"gunicorn did not answer on 127.0.0.1:{server.port}\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn master we started and every worker of it (its own process group)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything of that group still there (pgid = our child's pid)
    if proc.poll() is None:
        proc.wait(timeout=5)


@contextmanager
def gunicorn(url: str, workers: int, threads: int, workdir: Path, **env: str) -> Iterator[Server]:
    """gunicorn on a free port of 127.0.0.1; `env` adds to the server's environment (bench/outage.py
    points REDIS_URL at a closed port)."""
    port = _free_port()
    log = workdir / f"gunicorn-{workers}x{threads}.log"
    exe = Path(sys.executable).parent / "gunicorn"
    cmd = [
        str(exe),
        "balance.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "sync" if threads == 1 else "gthread",
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--no-control-socket",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=_server_env(url, **env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(proc, port, workers, threads, log)
    try:
        _wait_ready(server, time.monotonic() + 60)
        yield server
    except BaseException:
        _stop(proc)
        tail = server.log_tail()
        if tail:
            print("gunicorn log (last lines):\n  " + "\n  ".join(tail), file=sys.stderr)
        raise
    finally:
        _stop(proc)


@contextmanager
def private_redis(workdir: Path) -> Iterator[tuple[str, int] | None]:
    """A Redis of the bench's own for the application's cache, as production runs one beside gunicorn
    (docker-compose.yml): redis-server on a free port of 127.0.0.1, nothing written to disk, stopped
    at the end. Yields (REDIS_URL, pid), or None when redis-server is not installed."""
    exe = shutil.which("redis-server")
    if exe is None:
        yield None
        return
    port = _free_port()
    cmd = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    cmd += ["--dir", str(workdir), "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]
    with (workdir / "redis.log").open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on 127.0.0.1:{port}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0", proc.pid
    finally:
        _stop(proc)


# --- CPU accounting from /proc (Linux; "—" elsewhere) ----------------------------------------


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds over a window of gunicorn (master and workers), of the bench database's PostgreSQL
    backends, of the bench's Redis (when it runs one), of this process (the load generator) and of the
    whole machine, from /proc.

    Processes are sampled every second, so a backend that ends during the window (Django closes its
    connections after DB_CONN_MAX_AGE) still counts up to its last sample.
    """

    def __init__(self, master: int, database: str, redis: int | None = None) -> None:
        self.master, self.database, self.redis = master, database, redis
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.client = self.machine = 0.0

    def _sample(self) -> dict[tuple[str, int], float]:
        out: dict[tuple[str, int], float] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            stat = _proc_stat(pid)
            if stat is None:
                continue
            if pid == self.master or stat[0] == self.master:
                out["server", pid] = stat[1]
                continue
            if pid == self.redis:
                out["redis", pid] = stat[1]
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"postgres: ") and f" {self.database} ".encode() in cmdline:
                out["db", pid] = stat[1]
        return out

    def _loop(self) -> None:
        while not self.done.wait(1.0):
            self.last.update(self._sample())

    def start(self) -> None:
        self.first = self._sample()
        self.last = dict(self.first)
        self.client, self.machine = time.process_time(), _machine_busy()
        self.thread.start()

    def stop(self) -> dict[str, float]:
        self.done.set()
        self.thread.join()
        self.last.update(self._sample())
        used = {"server": 0.0, "db": 0.0, "redis": 0.0}
        for key, seconds in self.last.items():
            used[key[0]] += seconds - self.first.get(key, 0.0)
        used["client"] = time.process_time() - self.client
        used["machine"] = _machine_busy() - self.machine
        return used


def _machine_busy() -> float:
    """CPU seconds all cores have been busy (not idle or waiting for I/O) since boot."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return math.nan
    ticks = [int(f) for f in fields]
    busy = sum(ticks[:8]) - ticks[3] - ticks[4]  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


# --- the load -------------------------------------------------------------------------------


@dataclass
class Auth:
    session: str  # the Cookie header for pages
    token: str  # the Authorization header for the API


@dataclass
class Sample:
    endpoint: str
    seconds: float
    ok: bool
    status: str


@dataclass
class Site:
    district: str
    years: list[int]
    profiles: list[str]


ENDPOINTS = (
    "home / (302)",
    "school list",
    "balance page",
    "dashboard",
    "api schools",
    "api statistics",
    "api results",
)


def _cookies(response: Any) -> dict[str, str]:
    jar: dict[str, str] = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        jar.update({k: m.value for k, m in parsed.items()})
    return jar


def _login(pool: Any, password: str) -> Auth:
    """Log in through the form (session cookie) and take an API token."""
    page = pool.request("GET", "/accounts/login/", redirect=False)
    jar = _cookies(page)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.data.decode())
    if page.status != 200 or match is None or "csrftoken" not in jar:
        raise RuntimeError(f"login page: status {page.status}, no CSRF token")
    body = urlencode(
        {"csrfmiddlewaretoken": html.unescape(match.group(1)), "username": USERNAME, "password": password, "next": ""}
    )
    done = pool.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={jar['csrftoken']}"},
        redirect=False,
    )
    jar.update(_cookies(done))
    if done.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"login: status {done.status}, no session cookie")
    token = pool.request(
        "POST",
        "/api/v1/auth/token/",
        body=json.dumps({"username": USERNAME, "password": password}),
        headers={"Content-Type": "application/json"},
        redirect=False,
    )
    if token.status != 200:
        raise RuntimeError(f"API token: status {token.status}: {token.data[:200]!r}")
    return Auth(session=f"sessionid={jar['sessionid']}", token=f"Token {json.loads(token.data)['token']}")


def _cycle(site: Site, rng: random.Random) -> list[tuple[str, str, str, int]]:
    """One round of a user: (endpoint, path, auth kind, expected status)."""
    d = site.district
    year = rng.choice(site.years)
    profile = rng.choice(site.profiles)
    page = rng.randint(1, math.ceil(SCHOOLS / 50))
    return [
        ("home / (302)", "/", "session", 302),
        ("school list", f"/districts/{d}/schools/?year={rng.choice(site.years)}", "session", 200),
        ("balance page", f"/districts/{d}/balance/{year}/{profile}/", "session", 200),
        ("dashboard", f"/districts/{d}/assessment/{year}/{profile}/", "session", 200),
        ("api schools", f"/api/v1/schools/?district={d}&page={page}", "token", 200),
        ("api statistics", f"/api/v1/statistics/?district={d}&year={year}&page={page}", "token", 200),
        ("api results", f"/api/v1/results/?district={d}", "token", 200),
    ]


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _user(index: int, port: int, auth: Auth, site: Site, think: float, start: float, deadline: float, run: Run) -> None:
    import urllib3

    # Each user has its own keep-alive connection, as a browser would: it is idle only for the
    # think time, below gunicorn's keep-alive (2 s), so a reused connection is never one that
    # the server is closing at that moment.
    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, block=True, retries=False)
    rng = random.Random(index)
    mine: list[Sample] = []
    headers = {"session": {"Cookie": auth.session}, "token": {"Authorization": auth.token}}
    timeout = urllib3.Timeout(connect=5.0, read=REQUEST_TIMEOUT)
    queue: list[tuple[str, str, str, int]] = []
    for _ in range(MAX_REQUESTS_PER_USER):
        if not queue:
            queue = _cycle(site, rng)
            rng.shuffle(queue)
        endpoint, path, kind, expected = queue.pop()
        if think:
            pause = think * rng.uniform(0.5, 1.5)
            if time.perf_counter() + pause >= deadline:
                break
            time.sleep(pause)
        began = time.perf_counter()
        if began >= deadline:
            break
        try:
            response = pool.request("GET", path, headers=headers[kind], redirect=False, retries=False, timeout=timeout)
            status = str(response.status)
            ok = response.status == expected
            location = response.headers.get("Location", "")
        except Exception as error:  # any failure of a request is an error of the run
            status, ok, location = f"{type(error).__name__}: {error}", False, ""
        if began >= start:
            mine.append(Sample(endpoint, time.perf_counter() - began, ok, status))
        if endpoint.startswith("home") and ok:
            # Follow the redirect as a browser would: the district's school list.
            if location.startswith(f"/districts/{site.district}/schools/"):
                queue.append(("school list", location, "session", 200))
            elif began >= start:
                mine[-1] = Sample(endpoint, mine[-1].seconds, False, f"302 to {location}")
    pool.close()
    with run.lock:
        run.samples.extend(mine)


def _smoke(pool: Any, auth: Auth, site: Site) -> None:
    """Every endpoint answers as expected once, with the right content, before the load."""
    rng = random.Random(0)
    for endpoint, path, kind, expected in _cycle(site, rng):
        headers = {"Cookie": auth.session} if kind == "session" else {"Authorization": auth.token}
        response = pool.request("GET", path, headers=headers, redirect=False)
        text = response.data.decode(errors="replace")
        if response.status != expected:
            raise RuntimeError(f"{endpoint} {path}: status {response.status}, expected {expected}: {text[:300]}")
        if kind == "token" and not json.loads(text).get("count"):
            raise RuntimeError(f"{endpoint} {path}: empty answer: {text[:300]}")
        if kind == "session" and expected == 200 and 'name="password"' in text:
            raise RuntimeError(f"{endpoint} {path}: the login page, not the page")


def run_load(
    server: Server,
    password: str,
    site: Site,
    users: int,
    duration: float,
    warmup: float,
    think: float,
    redis: int | None = None,
):
    import urllib3

    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, retries=False, timeout=REQUEST_TIMEOUT)
    auth = _login(pool, password)
    _smoke(pool, auth, site)
    pool.close()
    run = Run()
    now = time.perf_counter()
    start = now + warmup
    deadline = start + duration
    threads = [
        threading.Thread(target=_user, args=(i, server.port, auth, site, think, start, deadline, run), daemon=True)
        for i in range(users)
    ]
    for t in threads:
        t.start()
    time.sleep(max(0.0, start - time.perf_counter()))
    meter = CpuMeter(server.proc.pid, _db_name(), redis)
    meter.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.perf_counter()) + REQUEST_TIMEOUT + 10)
    return run.samples, meter.stop()


def _db_name() -> str:
    return urlsplit(_database_url()).path.lstrip("/")


# --- per endpoint: one worker, warm, sequential ------------------------------------------------


def per_endpoint(url: str, password: str, site: Site, workdir: Path, count: int, no_redis: bool) -> dict[str, float]:
    """Each endpoint alone: one sync worker (its caches warm after 5 unmeasured requests), `count`
    requests in a row, the worker's CPU from /proc divided by `count`; wall time beside it."""
    import urllib3

    cache: Any = nullcontext(None) if no_redis else private_redis(workdir)
    with cache as redis, gunicorn(url, 1, 1, workdir, **_cache_env(redis)) as server:
        pool = urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, retries=False, timeout=REQUEST_TIMEOUT)
        auth = _login(pool, password)
        workers = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and (_proc_stat(int(p.name)) or (0, 0.0))[0] == server.proc.pid
        ]
        if len(workers) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {len(workers)}")
        cache_kind = "Redis" if redis else "memory"
        print(f"\nper endpoint: 1 sync worker, {count} requests each after 5 unmeasured ({cache_kind} cache)")
        print(f"{'endpoint':<16}{'CPU ms':>8}{'wall ms':>9}  path")
        total, weights = 0.0, 0
        out: dict[str, float] = {}
        for endpoint, path, kind, expected in _cycle(site, random.Random(1)):
            headers = {"Cookie": auth.session} if kind == "session" else {"Authorization": auth.token}
            for _ in range(5):
                pool.request("GET", path, headers=headers, redirect=False)
            before = (_proc_stat(workers[0]) or (0, math.nan))[1]
            began = time.perf_counter()
            for _ in range(count):
                response = pool.request("GET", path, headers=headers, redirect=False)
                if response.status != expected:
                    raise RuntimeError(f"{endpoint} {path}: status {response.status}, expected {expected}")
            cpu = ((_proc_stat(workers[0]) or (0, math.nan))[1] - before) / count * 1000
            weight = 2 if endpoint == "school list" else 1  # `/` is followed to the school list
            total, weights = total + cpu * weight, weights + weight
            out[endpoint] = round(cpu, 1)
            print(f"{endpoint:<16}{cpu:8.1f}{(time.perf_counter() - began) / count * 1000:9.1f}  {path}")
        print(f"mix (the school list twice, as the load's cycle has it): {total / weights:.1f} ms CPU a request")
    return {**out, "mix": round(total / weights, 1)}


# --- the table ------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def _row(name: str, samples: list[Sample], duration: float) -> dict[str, Any]:
    times = sorted(s.seconds * 1000 for s in samples)
    errors = [s for s in samples if not s.ok]
    return {
        "name": name,
        "requests": len(samples),
        "errors": len(errors),
        "statuses": sorted({s.status for s in errors}),
        "rps": len(samples) / duration,
        "mean": sum(times) / len(times) if times else math.nan,
        "p50": _percentile(times, 0.50),
        "p95": _percentile(times, 0.95),
        "p99": _percentile(times, 0.99),
        "max": times[-1] if times else math.nan,
    }


def print_table(samples: list[Sample], duration: float, title: str) -> dict[str, Any]:
    rows = [_row(name, [s for s in samples if s.endpoint == name], duration) for name in ENDPOINTS]
    total = _row("overall", samples, duration)
    header = ("endpoint", "requests", "errors", "req/s", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms", "p95 ≤ 150")
    table: list[tuple[str, ...]] = []
    for row in [*rows, total]:
        p95_ok = row["p95"] <= P95_TARGET_MS
        table.append(
            (
                row["name"],
                f"{row['requests']:,}",
                f"{row['errors']:,}"
                + (f" ({', '.join(s.split(':')[0] for s in row['statuses'][:3])})" if row["errors"] else ""),
                f"{row['rps']:.1f}",
                f"{row['mean']:.1f}",
                f"{row['p50']:.1f}",
                f"{row['p95']:.1f}",
                f"{row['p99']:.1f}",
                f"{row['max']:.1f}",
                ("PASS" if p95_ok else "FAIL") + ("" if row["name"] == "overall" else " (info)"),
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    print()
    print(title)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for cells in table[:-1]:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    print(line)
    print("  ".join(c.ljust(w) for c, w in zip(table[-1], widths, strict=True)))
    for status in total["statuses"][:5]:
        print(f"  error: {status[:300]}")
    return total


# --- main -----------------------------------------------------------------------------------


def _config(text: str) -> tuple[int, int]:
    workers, _, threads = text.partition("x")
    return int(workers), int(threads or 1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent virtual users (default 20)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (default 60)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring (default 5)")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds a user waits between requests (default 1; 0 = none)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; >1 uses gthread (default 1)")
    parser.add_argument(
        "--configs", default="", help="compare gunicorn configurations, e.g. 3x1,5x1,2x4 (workers x threads)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='print as the last line {"p50_ms", "p95_ms", "errors", "requests", "cpu_ms_per_request"}',
    )
    parser.add_argument(
        "--no-redis",
        action="store_true",
        help="no Redis: each gunicorn worker caches in its own memory (default: a private redis-server)",
    )
    parser.add_argument(
        "--per-endpoint",
        type=int,
        default=0,
        metavar="N",
        help="instead of the load: each endpoint alone, N requests in a row to one warm worker, its CPU each",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--reuse-db", action="store_true", help="reuse a kept database and the data already in it")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args.child)
    if args.users < 1 or args.duration <= 0 or args.warmup < 0 or args.think < 0:
        parser.error("--users must be ≥ 1, --duration > 0, --warmup and --think ≥ 0")
    configs = [_config(c) for c in args.configs.split(",") if c.strip()] or [(args.workers, args.threads)]
    # A SIGTERM to the bench still stops gunicorn and drops the database (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    url = _database_url()
    name = _db_name()
    password = secrets.token_urlsafe(24)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with _only_run(url):
        status, figures = _main(args, configs, url, name, password)
    print(
        f"machine: {os.cpu_count()} cores, shared by gunicorn, PostgreSQL and the load generator; load average"
        f" {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; whole bench {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        print(json.dumps(figures))
    return status


def _cache_env(redis: tuple[str, int] | None) -> dict[str, str]:
    """The server's cache: the bench's Redis, or (None) each worker's memory."""
    return {"REDIS_URL": redis[0]} if redis else {}


def _main(
    args: argparse.Namespace, configs: list[tuple[int, int]], url: str, name: str, password: str
) -> tuple[int, dict[str, Any]]:
    """Run each configuration; the exit status and the JSON figures of the last one."""
    if not args.reuse_db:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not args.reuse_db or not _exists(url, name):
        _admin(url, f'CREATE DATABASE "{name}"')
    status = 0
    figures: dict[str, Any] = {}
    try:
        print(f"bench load: database {name}; seeding a {SCHOOLS}-school county (bulk_create + balance_recompute)")
        sys.stdout.flush()
        setup = _child(url, password, "setup")
        print(
            f"  setup {setup['seconds']:.1f} s: district {setup['district']}, {setup['schools']} schools"
            f" ({SCHOOLS} open), {setup['statistics']} statistics over {', '.join(map(str, setup['years']))},"
            f" {setup['results']} balance results (profiles {', '.join(setup['profiles'])})"
        )
        site = Site(setup["district"], setup["years"], setup["profiles"])
        summary = []
        with tempfile.TemporaryDirectory(prefix="bench-load-") as workdir:
            if args.per_endpoint:
                figures = {"cpu_ms": per_endpoint(url, password, site, Path(workdir), args.per_endpoint, args.no_redis)}
                configs = []
            for workers, threads in configs:
                cache: Any = nullcontext(None) if args.no_redis else private_redis(Path(workdir))
                with cache as redis, gunicorn(url, workers, threads, Path(workdir), **_cache_env(redis)) as server:
                    print(
                        f"  gunicorn {server.config} on 127.0.0.1:{server.port}, DEBUG=false;"
                        f" {args.users} users, {args.warmup:g} s warm-up + {args.duration:g} s measured,"
                        f" think time {args.think:g} s ..."
                    )
                    print(
                        f"  cache: a Redis of the bench's own ({redis[0]}), shared by the workers as in production"
                        if redis
                        else "  cache: each worker's own memory (no REDIS_URL"
                        + (", --no-redis)" if args.no_redis else "; redis-server is not installed)")
                    )
                    sys.stdout.flush()
                    load_run = os.getloadavg()[0]
                    samples, cpu = run_load(
                        server,
                        password,
                        site,
                        args.users,
                        args.duration,
                        args.warmup,
                        args.think,
                        redis[1] if redis else None,
                    )
                    tail = server.log_tail()
                total = print_table(
                    samples,
                    args.duration,
                    f"{args.users} users × {args.duration:g} s, think {args.think:g} s,"
                    f" gunicorn {server.config}, {SCHOOLS}-school county, PostgreSQL, 127.0.0.1",
                )
                no_errors = total["errors"] == 0 and total["requests"] > 0
                p95_ok = total["p95"] <= P95_TARGET_MS
                print(
                    f"no errors: {'PASS' if no_errors else 'FAIL'} ({total['errors']} of {total['requests']});"
                    f" overall p95 {total['p95']:.1f} ms ≤ {P95_TARGET_MS:.0f} ms: {'PASS' if p95_ok else 'FAIL'}"
                )
                cores = os.cpu_count() or 1
                other = cpu["machine"] - cpu["server"] - cpu["db"] - cpu["redis"] - cpu["client"]
                print(
                    f"CPU over the measured {args.duration:g} s ({cores} cores = {cores * args.duration:g} core-s):"
                    f" gunicorn {cpu['server']:.1f} s ({cpu['server'] / max(1, total['requests']) * 1000:.1f} ms a"
                    f" request), PostgreSQL {cpu['db']:.1f} s, Redis {cpu['redis']:.1f} s,"
                    f" load generator {cpu['client']:.1f} s (this process,"
                    f" on the same cores), other processes {max(0.0, other):.1f} s; load average {load_run:.2f}"
                    " at the start"
                )
                if other > 0.1 * cores * args.duration:
                    print(
                        "  note: other work used the machine during the run; its latencies are worse than on a"
                        " quiet machine (compare the CPU per request, or rerun when the machine is quiet)"
                    )
                if not no_errors and tail:
                    print("gunicorn log (last lines):\n  " + "\n  ".join(tail))
                summary.append((server.config, total, no_errors and p95_ok, cpu, other))
                figures = {
                    "p50_ms": round(total["p50"], 1),
                    "p95_ms": round(total["p95"], 1),
                    "errors": total["errors"],
                    "requests": total["requests"],
                    "cpu_ms_per_request": round(cpu["server"] / max(1, total["requests"]) * 1000, 1),
                }
                status = status or (0 if no_errors and p95_ok else 1)
        if len(summary) > 1:
            print("\nconfigurations compared:")
            for config, total, ok, cpu, other in summary:
                print(
                    f"  {config:<34} {total['rps']:5.1f} req/s  p50 {total['p50']:6.1f}  p95 {total['p95']:6.1f}"
                    f"  p99 {total['p99']:6.1f} ms  errors {total['errors']}  {'PASS' if ok else 'FAIL'};"
                    f" gunicorn CPU {cpu['server'] / max(1, total['requests']) * 1000:.1f} ms a request,"
                    f" other processes {max(0.0, other):.1f} core-s"
                )
    finally:
        if not args.keep_db:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return status, figures
