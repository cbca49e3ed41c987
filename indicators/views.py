"""Balance pages: the county's figures per year and profile, read from stored results."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access
from core.identity import files_digest
from indicators import presentation, selectors, services
from indicators.chart_data import lines_spec
from indicators.charts import trend_lines
from indicators.forms import DistrictProfilesForm, ProfileCreateForm, ProfileDefinitionForm
from indicators.models import BalanceResult, RuleProfile
from schools.models import District
from schools.selectors import default_year


@login_required
def balance_home(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code)
    current = selectors.current_profile(district)
    if current is None:
        raise Http404(_("尚未配置评估规则"))
    return redirect("indicators:balance_page", district.code, default_year(district.pk), current.name)


RECENT_RECOMPUTE = timedelta(minutes=15)


@login_required
def balance_page(request: HttpRequest, district_code: str, year: int, profile: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code)
    profiles = selectors.profiles_for_district(district)
    if profile not in {p.name for p in profiles}:
        raise Http404(_("该区县未采用此评估规则"))
    result = selectors.balance_result_get(district=district, year=year, profile_name=profile)
    state = selectors.balance_state_get(district, year)
    # The history's documents are loaded only if its trend chart is not cached yet.
    history = list(selectors.balance_results_for_district(district, profile).defer("payload"))
    context = {
        "district": district,
        "year": year,
        "profile": profile,
        "profiles": profiles,
        "current": selectors.current_profile(district, profiles),
        "profile_label": _(next(p.label for p in profiles if p.name == profile)),
        "years": [r.year for r in history] or [year],
        "result": result,
        "state": state,
        "can_recompute": access.can(request.user, "manage", district),
        "can_scenarios": access.can(request.user, "view_scenarios", district),
        # A recompute after a change in the last quarter of an hour is said at the top of the page.
        "recently_recomputed": state is not None
        and not state.stale
        and state.computed_at is not None
        and state.requested_at is not None
        and timezone.now() - state.computed_at < RECENT_RECOMPUTE,
    }
    if result is not None:
        outcome = result.outcome

        def levels() -> list[presentation.LevelView]:
            # The charts are built by charts.py, which escapes their text.
            return [dataclasses.replace(v, chart=mark_safe(v.chart)) for v in presentation.level_views(outcome)]  # noqa: S308

        # The per-level and per-school sections are cached as rendered HTML, keyed by the result's
        # id (a recompute makes a new row, so a new key), the language and the code that shapes
        # them (a deployment that changes it starts afresh): these are computed only on a miss.
        context.update(
            display_version=display_version(),
            outcome=outcome,
            levels=SimpleLazyObject(levels),
            units=SimpleLazyObject(lambda: presentation.unit_rows(outcome)),
            rules=SimpleLazyObject(lambda: presentation.rule_views(outcome)),
            county_passes=outcome.passes,
            school_standards=any(v is not None for rule in outcome.rules for v in rule.standards.values()),
            composite_note=_("该规则只判定各学段的综合差异系数(%(lines)s),不设学校达标标准,学校不单独判定。")
            % {
                "lines": pgettext("list separator", "、").join(
                    f"{_(presentation.LEVEL_LABELS.get(name, name))} ≤ {level.composite_threshold:.2f}"
                    for name, level in outcome.levels.items()
                    if level.composite_threshold is not None
                )
            },
            trends=_cached_trends(history),
        )
    return render(request, "indicators/balance_page.html", context)


# What shapes the cached sections of the balance page (see balance_page).
DISPLAY_SOURCES = (
    "templates/indicators/balance_page.html",
    "indicators/presentation.py",
    "indicators/charts.py",
    "indicators/chart_data.py",
    "indicators/templatetags",
    "core/templatetags/ui.py",
    "locale",
)


def display_version() -> str:
    return files_digest(DISPLAY_SOURCES)[:16]


def _cached_trends(history: list[BalanceResult]) -> list[dict[str, Any]]:
    """The trend charts, cached by the ids of the results they are drawn from."""
    ids = ",".join(str(r.pk) for r in history)
    key = f"balance-trends:{display_version()}:{get_language()}:{ids}"

    def draw() -> list[dict[str, Any]]:
        return [{**t, "svg": str(t["svg"])} for t in _trends(history)]

    charts: list[dict[str, Any]] = cache.get_or_set(key, draw, timeout=24 * 3600) or []
    return [{**c, "svg": mark_safe(c["svg"])} for c in charts]  # noqa: S308 - drawn by charts.py


def _trends(history: list[BalanceResult]) -> list[dict[str, Any]]:
    if len(history) < 2:
        return []
    years = [r.year for r in history]
    out = []
    for level, label in presentation.LEVEL_LABELS.items():
        series: dict[str, list[float | None]] = {}
        threshold = None
        for result in history:
            data = result.outcome.level(level)
            for key, ind in (data.indicators if data else {}).items():
                name = _(presentation.SHORT_LABELS.get(key, key))
                series.setdefault(name, []).append(ind.cv)
                threshold = ind.threshold if ind.threshold is not None else threshold
        if series:
            svg = trend_lines(years, list(series.items()), threshold=threshold)
            spec = lines_spec(years, list(series.items()), axis=_("差异系数"), threshold=threshold)
            out.append({"level": level, "label": label, "svg": mark_safe(svg), "spec": spec})  # noqa: S308 - escaped in charts.py
    return out


@login_required
@require_POST
def balance_recompute_view(request: HttpRequest, district_code: str, year: int) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code, "manage")
    services.balance_mark_stale(district_id=district.pk, year=year)
    messages.success(request, _("已安排重新计算"))
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("indicators:balance_home", district.code)


@login_required
def profile_list(request: HttpRequest) -> HttpResponse:
    """Every rule profile with its current rules in readable form (reference data)."""
    profiles = []
    for profile in RuleProfile.objects.prefetch_related("versions"):
        version = profile.current_version()
        rules = version.definition if version else {}
        has_standards = any(
            v is not None for ind in rules.get("indicators", []) for v in (ind.get("standards") or {}).values()
        )
        profiles.append({"profile": profile, "version": version, "rules": rules, "has_standards": has_standards})
    return render(
        request,
        "indicators/profile_list.html",
        {"profiles": profiles, "can_configure": access.can(request.user, "configure")},
    )


@login_required
def profile_edit(request: HttpRequest, name: str) -> HttpResponse:
    """Administrators edit a profile's rules; saving adds a version (results keep theirs)."""
    if not access.can(request.user, "configure"):
        raise PermissionDenied
    profile = get_object_or_404(RuleProfile, name=name)
    current = profile.current_version()
    initial = {"definition": json.dumps(current.definition, ensure_ascii=False, indent=2)}
    form = ProfileDefinitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.profile_update(
                profile=profile,
                definition=form.cleaned_data["definition"],
                user=access.acting_user(request),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error("definition", error.messages)
        else:
            messages.success(request, _("已保存为第 %(v)s 版;相关区县的结果将重新计算") % {"v": version.version})
            return redirect("indicators:profile_list")
    versions = profile.versions.order_by("-version")
    return render(request, "indicators/profile_edit.html", {"profile": profile, "form": form, "versions": versions})


@login_required
def profile_create(request: HttpRequest) -> HttpResponse:
    if not access.can(request.user, "configure"):
        raise PermissionDenied
    form = ProfileCreateForm(
        request.POST or None, initial={"base": RuleProfile.objects.filter(name=request.GET.get("from")).first()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile = services.profile_create(
                name=data["name"],
                label=data["label"],
                province=data["province"],
                base=data["base"],
                user=access.acting_user(request),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已创建规则,可继续修改标准值"))
            return redirect("indicators:profile_edit", profile.name)
    return render(request, "indicators/profile_create.html", {"form": form})


@login_required
def district_profiles(request: HttpRequest, district_code: str) -> HttpResponse:
    """The bureau chooses which rule profiles its county is evaluated under."""
    district: District = access.get_district_for_user(request.user, district_code)
    chosen = list(district.rule_profiles.all())
    effective = selectors.profiles_for_district(district)
    current = selectors.current_profile(district, effective)
    if request.method == "POST" and "current" in request.POST:
        return _set_current(request, district, effective)
    form = DistrictProfilesForm(request.POST or None, province=district.province, initial={"profiles": chosen})
    if request.method == "POST":
        access.require(request.user, "manage", district)
        if form.is_valid():
            services.district_choose_profiles(district=district, profiles=list(form.cleaned_data["profiles"]))
            messages.success(request, _("已更新评估规则,结果将重新计算"))
            return redirect("indicators:balance_home", district.code)
    return render(
        request,
        "indicators/district_profiles.html",
        {
            "district": district,
            "form": form,
            "effective": effective,
            "current": current,
            "can_manage": access.can(request.user, "manage", district),
            "can_configure": access.can(request.user, "configure"),
        },
    )


def _set_current(request: HttpRequest, district: District, effective: list[RuleProfile]) -> HttpResponse:
    """Whoever configures the rules sets the profile the county is assessed under now."""
    if not access.can(request.user, "configure"):
        raise PermissionDenied
    profile = next((p for p in effective if p.name == request.POST.get("current")), None)
    if profile is None:
        messages.error(request, _("该区县未采用此评估规则"))
        return redirect("indicators:district_profiles", district.code)
    try:
        services.district_set_current_profile(district=district, profile=profile, user=access.acting_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("indicators:district_profiles", district.code)
    messages.success(request, _("已设为现行评估规则:%(label)s") % {"label": _(profile.label)})
    return redirect("indicators:balance_home", district.code)
