"""Entry points other apps call after their own writes (kept to one call each)."""

from __future__ import annotations

from collections.abc import Iterable

from assessment.problems.services import schedule_problems_sync


def after_balance_recompute(*, district_ids: Iterable[int], year: int) -> None:
    """New balance results were stored: sync those districts' problem lists after commit.

    Called by indicators.services.balance_recompute (the results are written with COPY on
    PostgreSQL, so no post_save signal fires for them).
    """
    for district_id in sorted(set(district_ids)):
        schedule_problems_sync(district_id=district_id, year=year)
