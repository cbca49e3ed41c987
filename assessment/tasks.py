"""Celery tasks of the county assessment: thin wrappers around assessment.problems.services."""

from __future__ import annotations

from celery import shared_task  # untyped: see the mypy override for celery in pyproject.toml
from django.db import DatabaseError

from assessment.problems import services as problem_services
from schools.models import District


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5, acks_late=True)
def sync_problems(district_id: int, year: int) -> dict[str, int]:
    """Bring the district-year's problem list up to date (idempotent)."""
    district = District.objects.filter(pk=district_id).first()
    if district is None:
        return {"opened": 0, "closed": 0}
    result = problem_services.problems_sync(district=district, year=year)
    return {"opened": result.opened, "closed": result.closed}
