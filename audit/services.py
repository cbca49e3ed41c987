"""Recording changes. Services call `record` inside their transaction, so a change and its audit
row are saved together or not at all."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from audit.models import AuditEvent
from core import access


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return str(value)
    return value


def record(
    *,
    user: Any,
    action: str,
    object_type: str,
    object_id: Any = "",
    district: Any = None,
    school: Any = None,
    year: int | None = None,
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit row. `changes` maps a field to [old, new]."""
    person = access.logged_in(user)
    return AuditEvent.objects.create(
        user=person,
        username=getattr(person, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        district_id=getattr(district, "pk", district),
        school_id=getattr(school, "pk", school),
        year=year,
        summary=summary[:300],
        changes={k: [_plain(v) for v in pair] for k, pair in (changes or {}).items()},
        reason=reason or "",
    )


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose values differ."""
    return {k: [_plain(before.get(k)), _plain(v)] for k, v in after.items() if _plain(before.get(k)) != _plain(v)}
