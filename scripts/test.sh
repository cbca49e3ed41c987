#!/usr/bin/env bash
# Full check, as CI runs it (.ci/run execs this script).
#
# Usage: scripts/test.sh [pytest arguments...]
#
# Steps, stopping at the first failure:
#   1. scripts/bootstrap.sh --system (Debian packages, venv, pip packages)
#   2. PostgreSQL and Redis: started if they do not answer; database created
#   3. ruff check .
#   4. ruff format --check .
#   5. mypy .
#   6. pytest "$@"  (exit code 5, "no tests collected", counts as a failure)
#
# Environment (defaults shown):
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/balance
#   REDIS_URL=redis://127.0.0.1:6379/0
#   SECRET_KEY=<a fixed insecure test key>
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STEP=0
T0=$SECONDS
step() {
  STEP=$((STEP + 1))
  printf '\n==> [%d] %s  (t=%ds)\n' "$STEP" "$*" "$((SECONDS - T0))"
}
log() { printf '    %s\n' "$*"; }
die() {
  printf '\nFAILED: %s\n' "$*" >&2
  exit 1
}
trap 'rc=$?; if ((rc != 0)); then printf "\n==> FAILED at step %d (exit %d) after %ds\n" "$STEP" "$rc" "$((SECONDS - T0))" >&2; fi' EXIT

# --- 1. bootstrap -------------------------------------------------------------
step "bootstrap (system packages, venv, python packages)"
bash scripts/bootstrap.sh --system

PY="$ROOT/.venv/bin/python"

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/balance}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export SECRET_KEY="${SECRET_KEY:-insecure-test-only-secret-key-not-for-production}"
export PYTHONUNBUFFERED=1
# Only default the settings module when no pytest config names one: the
# environment variable would override a DJANGO_SETTINGS_MODULE set in
# pyproject.toml / pytest.ini (pytest-django's precedence).
if [[ -z ${DJANGO_SETTINGS_MODULE:-} ]] &&
  ! grep -qs 'DJANGO_SETTINGS_MODULE' pyproject.toml pytest.ini setup.cfg tox.ini; then
  export DJANGO_SETTINGS_MODULE=balance.settings
fi

# Small helper run with the venv's Python (psycopg, redis and dj-database-url
# come from requirements.txt). Modes:
#   pg-ping    connect to the server's "postgres" database
#   pg-create  create the DATABASE_URL database when missing
#   redis-ping PING the REDIS_URL server
#   hosts      print "<pg host> <redis host> <redis port>"
svc() {
  "$PY" - "$1" <<'PY'
import os
import sys

import dj_database_url

mode = sys.argv[1]
db = dj_database_url.parse(os.environ["DATABASE_URL"])
redis_url = os.environ["REDIS_URL"]


def pg_connect(dbname: str):
    import psycopg

    return psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=dbname,
        connect_timeout=3,
        autocommit=True,
    )


try:
    if mode == "hosts":
        from urllib.parse import urlsplit

        r = urlsplit(redis_url)
        print(db.get("HOST") or "localhost", r.hostname or "localhost", r.port or 6379)
    elif mode == "pg-ping":
        pg_connect("postgres").close()
    elif mode == "pg-create":
        from psycopg import sql

        name = db["NAME"]
        with pg_connect("postgres") as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists:
                print(f"database {name!r} exists")
            else:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"database {name!r} created")
    elif mode == "redis-ping":
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
    else:
        raise SystemExit(f"unknown mode {mode}")
except Exception as exc:  # report any connection problem in one line
    print(f"{mode}: {type(exc).__name__}: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
PY
}

is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 || $1 == /* ]]; }

wait_for() { # wait_for <mode> <seconds>
  local i
  for ((i = 0; i < $2; i++)); do
    svc "$1" 2>/dev/null && return 0
    sleep 1
  done
  svc "$1" # last try, showing the error
}

start_postgres() {
  local v
  command -v pg_ctlcluster >/dev/null 2>&1 || die "PostgreSQL is not answering and pg_ctlcluster is not installed"
  for v in /etc/postgresql/*/; do
    [[ -d $v/main ]] || continue
    v="$(basename "$v")"
    log "pg_ctlcluster --skip-systemctl-redirect $v main start"
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || log "(pg_ctlcluster exited $?: waiting anyway)"
  done
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || die "Redis is not answering and redis-server is not installed"
  mkdir -p /var/lib/redis /var/log/redis
  log "redis-server --daemonize yes --port $REDIS_PORT ..."
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || log "(redis-server exited $?: waiting anyway)"
}

# --- 2. services --------------------------------------------------------------
step "services: PostgreSQL and Redis"
case "$DATABASE_URL" in
  postgres://* | postgresql://* | pgsql://*) ;;
  *) die "DATABASE_URL must point to PostgreSQL for the test suite (got: ${DATABASE_URL%%:*}://...)" ;;
esac
case "$REDIS_URL" in
  redis://* | rediss://* | unix://*) ;;
  *) die "REDIS_URL must point to Redis (got: ${REDIS_URL%%:*}://...)" ;;
esac
hosts="$(svc hosts)"
read -r PG_HOST REDIS_HOST REDIS_PORT <<<"$hosts"

if svc pg-ping 2>/dev/null; then
  log "PostgreSQL answers ($PG_HOST)"
else
  is_local "$PG_HOST" || die "PostgreSQL at $PG_HOST does not answer (not local: not starting it)"
  [[ $(id -u) -eq 0 ]] || die "PostgreSQL does not answer; as root run: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
  log "PostgreSQL does not answer: starting it"
  start_postgres
  wait_for pg-ping 60 || die "PostgreSQL did not come up"
  log "PostgreSQL answers"
fi
created="$(svc pg-create)" # an assignment, so that a failure stops the script
log "$created"

if svc redis-ping 2>/dev/null; then
  log "Redis answers ($REDIS_HOST)"
else
  is_local "$REDIS_HOST" || die "Redis at $REDIS_HOST does not answer (not local: not starting it)"
  [[ $(id -u) -eq 0 ]] || die "Redis does not answer; start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no"
  log "Redis does not answer: starting it"
  start_redis
  wait_for redis-ping 30 || die "Redis did not come up"
  log "Redis answers"
fi

# --- 3-5. static checks -------------------------------------------------------
step "ruff check ."
.venv/bin/ruff check .

step "ruff format --check ."
.venv/bin/ruff format --check .

step "mypy ."
.venv/bin/mypy .

# --- 6. tests -----------------------------------------------------------------
step "pytest $*"
rc=0
"$PY" -m pytest "$@" || rc=$?
if ((rc == 5)); then
  printf '\nFAILED: pytest collected no tests (exit 5): treated as a failure\n' >&2
  exit 5
elif ((rc != 0)); then
  printf '\nFAILED: pytest failed (exit %d)\n' "$rc" >&2
  exit "$rc"
fi

printf '\n==> all checks passed in %ds\n' "$((SECONDS - T0))"
