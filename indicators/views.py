"""Balance pages: the county's figures per year and profile, read from stored results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access
from indicators import presentation, selectors, services
from indicators.charts import trend_lines
from indicators.models import BalanceResult
from schools.views import default_year


@login_required
def balance_home(request: HttpRequest, district_code: str) -> HttpResponse:
    district = access.get_district_for_user(request.user, district_code)
    profiles = selectors.profiles_for_district(district)
    if not profiles:
        raise Http404(_("尚未配置评估规则"))
    return redirect("indicators:balance_page", district.code, default_year(district.pk), profiles[0].name)


@login_required
def balance_page(request: HttpRequest, district_code: str, year: int, profile: str) -> HttpResponse:
    district = access.get_district_for_user(request.user, district_code)
    profiles = selectors.profiles_for_district(district)
    if profile not in {p.name for p in profiles}:
        raise Http404(_("该区县未采用此评估规则"))
    result = selectors.balance_result_get(district=district, year=year, profile_name=profile)
    state = selectors.balance_state_get(district, year)
    history = list(selectors.balance_results_for_district(district, profile))
    context = {
        "district": district,
        "year": year,
        "profile": profile,
        "profiles": profiles,
        "years": [r.year for r in history] or [year],
        "result": result,
        "state": state,
        "can_recompute": access.can(request.user, "manage", district),
    }
    if result is not None:
        document = result.document
        context.update(
            document=document,
            levels=presentation.level_views(document),
            units=presentation.unit_rows(document),
            rules=list(presentation.rules_by_key(document).values()),
            county_passes=presentation.county_verdict(document),
            trends=_trends(history),
        )
        for level in context["levels"]:
            level["chart"] = mark_safe(level["chart"])  # noqa: S308 - built by charts.py, text escaped there
    return render(request, "indicators/balance_page.html", context)


def _trends(history: list[BalanceResult]) -> list[dict[str, object]]:
    if len(history) < 2:
        return []
    years = [r.year for r in history]
    out = []
    for level, label in presentation.LEVEL_LABELS.items():
        series: dict[str, list[float | None]] = {}
        threshold = None
        for result in history:
            data = result.document["levels"].get(level)
            for key, ind in (data or {}).get("indicators", {}).items():
                name = presentation.SHORT_LABELS.get(key, key)
                series.setdefault(name, []).append(ind["cv"])
                threshold = ind["threshold"] if ind["threshold"] is not None else threshold
        if series:
            svg = trend_lines(years, list(series.items()), threshold=threshold)
            out.append({"label": label, "svg": mark_safe(svg)})  # noqa: S308 - escaped in charts.py
    return out


@login_required
@require_POST
def balance_recompute_view(request: HttpRequest, district_code: str, year: int) -> HttpResponse:
    district = access.get_district_for_user(request.user, district_code, "manage")
    services.balance_mark_stale(district_id=district.pk, year=year)
    messages.success(request, _("已安排重新计算"))
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("indicators:balance_home", district.code)
