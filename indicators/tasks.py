"""Celery tasks of the balance engine: thin wrappers around indicators.services."""

from __future__ import annotations

from celery import shared_task  # untyped: see the mypy override for celery in pyproject.toml
from django.db import DatabaseError

from indicators import services
from indicators.models import BalanceState
from schools.models import AnnualStatistics, District


@shared_task(
    bind=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def recompute_balance(self, district_id: int, year: int) -> int:  # type: ignore[no-untyped-def]
    """Recompute one district-year (coalesced by services.balance_mark_stale). Idempotent."""
    try:
        return services.balance_recompute_one(district_id=district_id, year=year)
    except Exception as exc:
        services.balance_record_failure(district_id=district_id, year=year, error=repr(exc))
        raise


@shared_task
def recompute_stale_balance() -> int:
    """Catch-up: schedule every stale district-year that has no run queued (broker was down)."""
    count = 0
    for state in BalanceState.objects.filter(stale=True, queued_at__isnull=True):
        services.balance_mark_stale(district_id=state.district_id, year=state.year)
        count += 1
    return count


@shared_task(
    bind=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
)
def recompute_balance_chunk(  # type: ignore[no-untyped-def]
    self, district_ids: list[int], year: int, force: bool = False, follow: bool = True
) -> int:
    """Recompute a chunk of districts for a year in one transaction (its own atomic swap)."""
    districts = list(District.objects.filter(pk__in=district_ids).order_by("code"))
    recompute = services.balance_recompute_and_follow if follow else services.balance_recompute
    return len(recompute(districts=districts, year=year, force=force))


@shared_task
def recompute_all_balance() -> int:
    """Nightly: recompute every district-year that has statistics (unchanged ones are kept).

    The districts are sent out in chunks (services.balance_fan_out), so every worker running
    takes a share: more workers, or machines, finish sooner.
    """
    years = sorted(set(AnnualStatistics.objects.values_list("year", flat=True)))
    district_ids = list(District.objects.order_by("code").values_list("pk", flat=True))
    return sum(services.balance_fan_out(district_ids=district_ids, year=year) for year in years)
