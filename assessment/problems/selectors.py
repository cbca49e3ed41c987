"""Reads of the problem list (问题清单). Access is the caller's business (core.access): these
functions take a district the caller may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from assessment.models import Problem
from schools.models import District


def problem_list(district: District, *, state: str | None = None, year: int | None = None) -> QuerySet[Problem]:
    problems = Problem.objects.filter(district=district).select_related("school", "closed_by")
    if state == "open":
        problems = problems.exclude(state=Problem.State.CLOSED)
    elif state:
        problems = problems.filter(state=state)
    if year is not None:
        problems = problems.filter(year=year)
    return problems.order_by("state", "deadline", "id")


def problem_rows(problems: QuerySet[Problem] | list[Problem]) -> list[dict[str, Any]]:
    return [
        {
            "id": p.pk,
            "year": p.year,
            "source": p.source,
            "source_label": p.get_source_display(),
            "title": p.title,
            "detail": p.detail,
            "school_code": p.school.code if p.school else "",
            "owner": p.owner,
            "deadline": p.deadline,
            "state": p.state,
            "state_label": p.get_state_display(),
            "closed_auto": p.closed_auto,
            "closed_at": p.closed_at,
            "close_note": p.close_note,
        }
        for p in problems
    ]
