"""Celery tasks of the registry: thin wrappers around schools.exchange (ids in, summary out)."""

from __future__ import annotations

from celery import shared_task  # untyped: see the mypy override for celery in pyproject.toml
from django.db import OperationalError

from schools import exchange


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, acks_late=True)
def check_import(job_id: int) -> str | None:
    """Check an uploaded workbook and store its preview (progress on the job row). Idempotent."""
    job = exchange.import_job_check(job_id=job_id)
    return job.status if job else None


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, acks_late=True)
def apply_import(job_id: int) -> str | None:
    """Apply a confirmed import, all-or-nothing. A job already applied is left as it is."""
    job = exchange.import_job_apply(job_id=job_id)
    return job.status if job else None
