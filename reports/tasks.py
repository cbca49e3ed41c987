"""Celery tasks of reports: thin wrappers around reports.services."""

from __future__ import annotations

from celery import shared_task  # untyped: see the mypy override for celery in pyproject.toml
from celery.signals import worker_init, worker_process_init
from django.db import DatabaseError

from reports import pdf, services


@shared_task(bind=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3, acks_late=True)
def render_report(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    """Render one report job and store its file; returns the job's final status. Idempotent."""
    return str(services.report_render(job_id=job_id).status)


@shared_task
def prune_reports() -> str:
    """Daily: delete the files of superseded reports (reports.services.reports_prune)."""
    result = services.reports_prune()
    return f"{result.jobs_cleared} cleared, {result.files_deleted} files, {result.bytes_freed} bytes"


@worker_process_init.connect
@worker_init.connect
def warm_up_renderer(**_kwargs: object) -> None:
    """Load the report font, stylesheet and templates when a worker (process) starts, not in its first job."""
    pdf.warm_up(tuple(services.TEMPLATES.values()))
