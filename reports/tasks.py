"""Celery tasks of reports: thin wrappers around reports.services."""

from __future__ import annotations

import logging

from celery import shared_task  # untyped: see the mypy override for celery in pyproject.toml
from celery.signals import worker_init, worker_process_init, worker_ready
from django.db import DatabaseError

from reports import pdf, services

log = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3, acks_late=True)
def render_report(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    """Render one report job and store its file; returns the job's final status. Idempotent."""
    return str(services.report_render(job_id=job_id).status)


@shared_task
def prune_reports() -> str:
    """Daily: delete the files of superseded reports (reports.services.reports_prune)."""
    result = services.reports_prune()
    return f"{result.jobs_cleared} cleared, {result.files_deleted} files, {result.bytes_freed} bytes"


@shared_task
def requeue_interrupted_reports() -> int:
    """Catch-up (beat, every minute): queue again the renders whose worker died mid-way."""
    return services.reports_requeue_interrupted()


@worker_ready.connect
def requeue_on_start(**_kwargs: object) -> None:
    """A worker that (re)starts takes up the renders a dead worker left, without waiting for beat."""
    try:
        count = services.reports_requeue_interrupted()
    except Exception:  # the worker must start; the beat job will try again
        log.warning("could not look for interrupted reports at start", exc_info=True)
        return
    if count:
        log.warning("%s interrupted report job(s) queued again", count)


@worker_process_init.connect
@worker_init.connect
def warm_up_renderer(**_kwargs: object) -> None:
    """Load the report font, stylesheet and templates when a worker (process) starts, not in its first job."""
    pdf.warm_up(tuple(services.TEMPLATES.values()))
