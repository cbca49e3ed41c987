"""Browsing the audit trail: per school (and year), and per district for the bureau."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.models import AuditEvent
from audit.presentation import describe, object_label
from core import access
from schools.models import District, School


def _year(request: HttpRequest) -> int | None:
    text = request.GET.get("year", "")
    return int(text) if text.isdecimal() else None


@login_required
def school_history(request: HttpRequest, code: str) -> HttpResponse:
    school: School = access.get_school_for_user(request.user, code)
    events = AuditEvent.objects.filter(school=school)
    year = _year(request)
    if year:
        events = events.filter(year=year)
    years = sorted(
        {y for y in AuditEvent.objects.filter(school=school).values_list("year", flat=True) if y is not None}
    )
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/history.html",
        {"school": school, "page": page, "rows": describe(page), "year": year, "years": years},
    )


@login_required
def district_history(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code)
    events = AuditEvent.objects.filter(district=district)
    year = _year(request)
    if year:
        events = events.filter(year=year)
    kind = request.GET.get("type", "")
    if kind:
        events = events.filter(object_type=kind)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    kinds = [
        (k, object_label(k))
        for k in sorted(set(AuditEvent.objects.filter(district=district).values_list("object_type", flat=True)))
    ]
    return render(
        request,
        "audit/history.html",
        {"district": district, "page": page, "rows": describe(page), "year": year, "kinds": kinds, "kind": kind},
    )
