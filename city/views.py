"""The multi-county overview: every assigned county side by side, its trend, a drill-down into one,
and the table as XLSX and a city summary PDF. Thin: access → selector → render.

Only the user's own counties (core.access.district_scope) are read: the page, the files and the
API show nothing else, and a county outside the scope answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from city import documents, selectors
from city.charts import cv_trend_charts, share_trend_chart, share_trend_spec
from core import access
from indicators.models import RuleProfile
from schools.models import District

SORTABLE = tuple(selectors.SORT_KEYS)


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 1990 <= int(raw) <= 2100 else None


def _sort(request: HttpRequest) -> tuple[str, bool]:
    key = request.GET.get("sort", "code")
    return (key if key in SORTABLE else "code"), request.GET.get("dir") == "desc"


def _scope(request: HttpRequest) -> list[District]:
    user = access.acting_user(request)
    access.require(user, "compare")
    return list(access.district_scope(user).order_by("code"))


def _overview(request: HttpRequest) -> tuple[selectors.Overview, list[selectors.Readiness], str, bool]:
    districts = _scope(request)
    profile = request.GET.get("profile") or None
    data = selectors.overview(districts, year=_year(request), profile_name=profile)
    sort, descending = _sort(request)
    return data, selectors.sort_rows(data.rows, sort, descending), sort, descending


@login_required
@require_GET
def overview_page(request: HttpRequest) -> HttpResponse:
    """区县对比: readiness of every assigned county in one year, sortable, with the trend."""
    data, rows, sort, descending = _overview(request)
    names = {r.code: r.name for r in rows} or {d.code: d.name for d in _scope(request)}
    columns = [
        ("name", _("区县")),
        ("verdict", _("资源配置")),
        ("cv_over", _("差异系数超线项")),
        ("worst", _("最高差异系数 / 标准")),
        ("share", _("学校达标率")),
        ("guarantee", _("政府保障程度")),
        ("quality", _("教育质量")),
        ("survey", _("社会认可度")),
        ("problems", _("待整改问题")),
        ("inspection", _("计划迎检日期")),
    ]
    return render(
        request,
        "city/overview.html",
        {
            "data": data,
            "rows": rows,
            "columns": columns,
            "sort": sort,
            "descending": descending,
            "query": _query(request),
            "matrix": selectors.cv_matrix(rows),
            "trend_rows": [(code, names.get(code, code), points) for code, points in data.trends.items()],
            "trend_chart": share_trend_chart(data.trend_years, data.trends, names),
            "trend_spec": share_trend_spec(data.trend_years, data.trends, names),
            "profiles": RuleProfile.objects.order_by("province", "name"),
        },
    )


def _query(request: HttpRequest) -> str:
    """The year and profile of the page, for the sort links and the downloads."""
    from urllib.parse import urlencode

    return urlencode([(k, request.GET[k]) for k in ("year", "profile") if request.GET.get(k)])


@login_required
@require_GET
def district_page(request: HttpRequest, district_code: str) -> HttpResponse:
    """One county's readiness over the years: every CV against its line, the schools, the items,
    the survey, the problems and the inspection date, with links to its own pages."""
    user = access.acting_user(request)
    district: District = access.get_district_for_user(user, district_code)
    profile = selectors.profile_for(district, request.GET.get("profile") or None)
    years = selectors.district_years(district, profile)
    latest = years[-1] if years else None
    return render(
        request,
        "city/district.html",
        {
            "district": district,
            "profile": profile,
            "years": years,
            "latest": latest,
            "cv_rows": _cv_rows(years),
            "charts": cv_trend_charts(years),
            "can_compare": access.can(user, "compare"),
        },
    )


def _cv_rows(years: list[selectors.Readiness]) -> list[dict[str, Any]]:
    """Each indicator and level as a row, each year as a column."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for index, year in enumerate(years):
        for level in year.levels:
            for line in level.cvs:
                entry = rows.setdefault(
                    (level.level, line.key),
                    {"level": level.label, "label": line.label, "cells": [None] * len(years)},
                )
                entry["cells"][index] = line
    return list(rows.values())


@login_required
@require_GET
def overview_xlsx(request: HttpRequest) -> HttpResponse:
    data, rows, _sort_key, _descending = _overview(request)
    body = documents.overview_xlsx(data, rows)
    return _attachment(body, _filename(data, "xlsx"), documents.XLSX)


@login_required
@require_GET
def overview_pdf(request: HttpRequest) -> HttpResponse:
    data, rows, _sort_key, _descending = _overview(request)
    body = documents.overview_pdf(data, rows, author=str(access.acting_user(request)))
    return _attachment(body, _filename(data, "pdf"), documents.PDF)


def _filename(data: selectors.Overview, ext: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d")
    return f"区县均衡发展对比-{data.year or ''}-{stamp}.{ext}"


def _attachment(body: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file the browser saves and never runs (the reports' download headers)."""
    from urllib.parse import quote

    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
