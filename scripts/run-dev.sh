#!/usr/bin/env bash
# Run the project locally for development.
#
# Usage: scripts/run-dev.sh [extra runserver options]
#
# Bootstraps the venv (and the Debian packages too when WeasyPrint's libraries
# are missing), applies migrations, seeds the demo county and its neighbour
# with the city office's login (seed_city, which runs seed_demo first; both are
# idempotent) and serves on http://127.0.0.1:8000/.
#
# With no DATABASE_URL / REDIS_URL in the environment the settings use the
# SQLite file db.sqlite3 and run Celery tasks in-process, so nothing else has
# to be running. Set them to use PostgreSQL / Redis instead.
#
# Environment:
#   RUNSERVER_ADDR   address:port to serve on (default 127.0.0.1:8000)
#   DEBUG            default "false" here, so the demo looks like the product (its own 404
#                    and 500 pages, static files served by WhiteNoise after collectstatic);
#                    DEBUG=true make run gives Django's debug pages. With DEBUG off on plain
#                    http the script sets SECRET_KEY_FILE (a key generated once into
#                    .demo-secret-key), SECURE_SSL_REDIRECT=false, SECURE_COOKIES=false and
#                    SECURE_HSTS_SECONDS=0 unless they are set.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[run-dev] %s\n' "$*"; }

WEASYPRINT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
WEASYPRINT_LIBS=(libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0)

weasyprint_libs_present() {
  if command -v dpkg-query >/dev/null 2>&1; then
    local p status
    for p in "${WEASYPRINT_PACKAGES[@]}"; do
      status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
      [[ $status == *" ok installed" ]] || return 1
    done
    return 0
  fi
  local lib cache
  cache="$(ldconfig -p 2>/dev/null || true)"
  for lib in "${WEASYPRINT_LIBS[@]}"; do
    [[ $cache == *"$lib "* ]] || return 1
  done
}

if weasyprint_libs_present; then
  bash scripts/bootstrap.sh
else
  log "WeasyPrint libraries missing: bootstrapping system packages too"
  bash scripts/bootstrap.sh --system
fi

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-balance.settings}"
export DEBUG="${DEBUG:-false}"
export PYTHONUNBUFFERED=1
if [[ ${DEBUG,,} =~ ^(0|false|no|off)$ ]]; then
  if [[ -z ${SECRET_KEY:-} && -z ${SECRET_KEY_FILE:-} ]]; then
    [[ -s .demo-secret-key ]] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' > .demo-secret-key
    export SECRET_KEY_FILE="$ROOT/.demo-secret-key"
  fi
  export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-false}"
  export SECURE_COOKIES="${SECURE_COOKIES:-false}"
  export SECURE_HSTS_SECONDS="${SECURE_HSTS_SECONDS:-0}"
fi

if [[ -f manage.py ]]; then
  MANAGE=(.venv/bin/python manage.py)
else
  MANAGE=(.venv/bin/python -m django)
fi

log "database: ${DATABASE_URL:-sqlite (db.sqlite3, settings default)}"
log "celery:   ${REDIS_URL:-no REDIS_URL, tasks run in-process}"

log "migrate"
"${MANAGE[@]}" migrate --noinput

log "collectstatic (WhiteNoise serves them with DEBUG off)"
"${MANAGE[@]}" collectstatic --noinput -v0

log "seed_city (the demo county, its neighbour and the city office)"
"${MANAGE[@]}" seed_city

addr="${RUNSERVER_ADDR:-127.0.0.1:8000}"
log "runserver on http://$addr/"
exec "${MANAGE[@]}" runserver "$addr" "$@"
