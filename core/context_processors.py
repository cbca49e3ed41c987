"""Template context shared by every page: the user's role, their home district and school."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core import access
from core.years import current_school_year


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "nav_role": access.role_of(user),
        "nav_districts": list(access.district_scope(user)[:50]),
        "nav_school": access.own_school(user),
        "nav_compare": access.can(user, "compare"),
        "current_year": current_school_year(),
    }
