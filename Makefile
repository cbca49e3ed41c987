# Developer entry points. The scripts in scripts/ do the real work, so CI
# (.ci/run -> scripts/test.sh) and `make test` run exactly the same steps.
#
#   make run            bootstrap, migrate, seed_demo, runserver 127.0.0.1:8000
#   make test           full check as CI: ruff, mypy, pytest (PostgreSQL + Redis)
#                       pass pytest arguments with ARGS="-k foo -x"
#   make lint           ruff check, ruff format --check, mypy
#   make bench          .venv/bin/python -m bench (arguments: ARGS=...)
#   make worker         celery worker (REDIS_URL defaults to local Redis here)
#   make compose-check  validate docker-compose.yml (no Docker engine needed)
#   make bootstrap      venv + pip packages only; `make bootstrap-system` adds apt

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
COMPOSE ?= docker-compose
ARGS ?=

.PHONY: help bootstrap bootstrap-system run test lint bench worker compose-check

help:
	@sed -n '1,/^$$/{s/^# \{0,1\}//;p}' Makefile

bootstrap:
	@bash scripts/bootstrap.sh

bootstrap-system:
	@bash scripts/bootstrap.sh --system

run:
	bash scripts/run-dev.sh

test:
	bash scripts/test.sh $(ARGS)

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

bench: bootstrap
	$(PY) -m bench $(ARGS)

# Without REDIS_URL the settings run tasks in-process and a worker has nothing
# to consume, so the worker defaults to the local Redis (override as needed).
worker: export REDIS_URL ?= redis://127.0.0.1:6379/0
worker: bootstrap
	$(VENV)/bin/celery -A balance worker -l info

# The compose file requires SECRET_KEY and POSTGRES_PASSWORD; dummies are
# supplied here only when they are not set, since this only checks the syntax.
compose-check:
	@command -v $(COMPOSE) >/dev/null || { echo "$(COMPOSE) not found: run scripts/bootstrap.sh --system" >&2; exit 1; }
	SECRET_KEY="$${SECRET_KEY:-compose-check-dummy}" \
	POSTGRES_PASSWORD="$${POSTGRES_PASSWORD:-compose-check-dummy}" \
	$(COMPOSE) config -q
	@echo "docker-compose.yml is valid"
