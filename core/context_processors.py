"""Template context shared by every page: the user's role and their home district."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core import access
from core.years import current_school_year


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    role = access.role_of(user)
    districts = list(access.district_scope(user)[:50])
    from plans.models import Notification

    unread = Notification.objects.filter(user=user, read=False).count()
    return {"nav_role": role, "nav_districts": districts, "current_year": current_school_year(), "nav_unread": unread}
