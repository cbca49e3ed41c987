"""A school's own standing ("我的学校"): where a principal lands after login (plans/standing.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core import access
from plans.standing import school_standing
from schools.models import School


@login_required
def my_school(request: HttpRequest) -> HttpResponse:
    """The principal's own school; other roles have none."""
    own = access.own_school(access.acting_user(request))
    if own is None:
        raise Http404(_("没有找到该学校 / School not found"))
    return redirect("plans:school_standing", own.code)


@login_required
def school_standing_page(request: HttpRequest, code: str) -> HttpResponse:
    """The school against the standard, its part in the county CVs and what it owes this year."""
    school: School = access.get_school_for_user(request.user, code)
    standing = school_standing(school)
    return render(
        request,
        "plans/school_standing.html",
        {
            "standing": standing,
            "school": school,
            "can_edit": access.can(request.user, "edit_statistics", school.district, school),
        },
    )
