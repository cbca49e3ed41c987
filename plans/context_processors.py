"""Template context of every page from plans: the count of unread notifications in the header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from plans.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    return {"nav_unread": Notification.objects.filter(user=request.user, read=False).count()}
