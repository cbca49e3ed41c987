"""County assessment pages: overview, checklist and entries (the survey's pages are in
assessment/survey/views.py, the problem list's in assessment/problems/views.py).

County pages go through core.access (404 outside the user's districts, 403 for a forbidden
action; principals see no county page).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assessment import selectors, services
from assessment.forms import ChecklistDefinitionForm
from assessment.models import ChecklistVersion, ItemEvidence
from core import access, revisions
from core.identity import district_versions, files_digest
from indicators.models import RuleProfile
from plans import files
from schools.models import District
from schools.selectors import default_year


def show_errors(request: HttpRequest, error: ValidationError) -> None:
    """A refusal of a service as messages on the next page (the survey and problem pages too)."""
    for message in error.messages:
        messages.error(request, message)


def _profile(district: District, name: str) -> RuleProfile:
    profile = selectors.district_profile(district, name)
    if profile is None:
        raise Http404(_("该区县未采用此评估规则"))
    return profile


# --- overview and checklist -----------------------------------------------------------------


@login_required
def assessment_home(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code)
    profile = selectors.district_profile(district)
    if profile is None:
        raise Http404(_("尚未配置评估规则"))
    return redirect("assessment:overview", district.code, default_year(district.pk), profile.name)


@login_required
def overview(request: HttpRequest, district_code: str, year: int, profile: str) -> HttpResponse:
    """The four parts side by side with their verdicts, what is missing, and the open problems."""
    district: District = access.get_district_for_user(request.user, district_code)
    rule = _profile(district, profile)
    # The judged parts are cached as rendered HTML, keyed by the stored versions of everything
    # of the district and the shared rules (any write to what they read gives a new key), the
    # language and the code that shapes them: the judgements are computed only on a miss.
    data = SimpleLazyObject(lambda: selectors.overview(district, year, rule))
    version = district_versions(district.pk, shared=True)
    return render(
        request,
        "assessment/overview.html",
        {
            "district": district,
            "year": year,
            "profile": rule,
            "years": [year - 1, year, year + 1],
            **{key: SimpleLazyObject(partial(_item, data, key)) for key in OVERVIEW_KEYS},
            "parts_version": version,
            # An hour: every change of the data makes a new key, so old entries are never read again
            # and only leave memory; off PostgreSQL (no stored versions) nothing is cached.
            "parts_seconds": 3600 if version else 0,
            "display_version": files_digest(OVERVIEW_SOURCES)[:16],
        },
    )


def _item(data: Any, key: str) -> Any:
    return data[key]


# What selectors.overview returns, and what shapes the cached parts of the overview page.
OVERVIEW_KEYS = ("parts", "checklist", "vetoed", "verdict", "open_problems", "open_count")
OVERVIEW_SOURCES = (
    "templates/assessment/overview.html",
    "assessment/selectors.py",
    "assessment/models.py",
    "assessment/formulas",
    "assessment/survey",
    "assessment/problems",
    "core/templatetags/ui.py",
    "core/labels.py",
    "locale",
)


@login_required
def checklist_page(request: HttpRequest, district_code: str, year: int, profile: str) -> HttpResponse:
    """Every item with its standard, verdict, failing schools, figures and evidence."""
    district: District = access.get_district_for_user(request.user, district_code)
    rule = _profile(district, profile)
    checklist = selectors.county_checklist(district, year, rule)
    if checklist is None:
        raise Http404(_("该评估规则未配置检查项"))
    areas = [
        {"key": area, "judged": checklist.areas[area], "items": checklist.area_items(area)}
        for area in ("guarantee", "quality", "veto")
    ]
    return render(
        request,
        "assessment/checklist.html",
        {
            "district": district,
            "year": year,
            "profile": rule,
            "checklist": checklist,
            "areas": areas,
            "can_manage": access.can(request.user, "manage", district),
            "can_configure": access.can(request.user, "configure"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, district_code: str, year: int, profile: str, key: str) -> HttpResponse:
    """The bureau enters an item's figures and evidence (all saved together, or nothing)."""
    district: District = access.get_district_for_user(request.user, district_code)
    rule = _profile(district, profile)
    checklist = selectors.county_checklist(district, year, rule)
    view = checklist.items.get(key) if checklist else None
    if view is None or view.item.judge != "entered":
        raise Http404(_("没有找到该检查项"))
    can_manage = access.can(request.user, "manage", district)
    status = 200
    errors: dict[str, list[str]] = {}
    posted: dict[str, Any] = {}
    if request.method == "POST":
        access.require(request.user, "manage", district)
        posted = request.POST
        try:
            revision = revisions.parse(request.POST.get("revision"))
            services.item_entry_save(
                district=district,
                year=year,
                item=view.item,
                raw={spec.key: request.POST.get(f"in_{spec.key}") for spec in view.item.inputs},
                note=request.POST.get("note", ""),
                uploads=request.FILES.getlist("files"),
                user=access.acting_user(request),
                revision=revision,
            )
        except ValidationError as error:
            status = revisions.status_of(error)
            if hasattr(error, "error_dict"):
                errors = {k: [str(m) for e in v for m in e.messages] for k, v in error.error_dict.items()}
            messages.error(request, _("数据未保存,请修改标出的项目"))
            if not errors:
                show_errors(request, error)
            if request.FILES.getlist("files"):
                messages.warning(request, _("所选文件未上传:浏览器不能保留已选的文件,请改正后重新选择"))
        else:
            messages.success(request, _("已保存 %(k)s") % {"k": view.item.key})
            return redirect("assessment:checklist", district.code, year, rule.name)
    inputs = []
    for spec in view.item.inputs:
        current = view.values.get(spec.key)
        if spec.type == "bool":
            shown = "" if current is None else ("true" if current else "false")
        else:
            shown = "" if current is None else format(current, "f")
        if request.method == "POST":
            shown = request.POST.get(f"in_{spec.key}", "")
        inputs.append({"spec": spec, "value": shown, "errors": errors.get(spec.key, [])})
    return render(
        request,
        "assessment/entry.html",
        {
            "district": district,
            "year": year,
            "profile": rule,
            "view": view,
            "item": view.item,
            "inputs": inputs,
            "note": posted.get("note", view.entry.note if view.entry else ""),
            # 0: no entry when the form was opened, so an entry someone creates meanwhile is a conflict.
            "revision": view.entry.revision if view.entry else 0,
            "can_manage": can_manage,
            "max_mb": files.MAX_EVIDENCE_BYTES // (1024 * 1024),
        },
        status=status,
    )


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is only ever downloaded as an attachment, never shown inline from our origin."""
    evidence = get_object_or_404(ItemEvidence.objects.select_related("entry__district"), pk=pk)
    access.get_district_for_user(request.user, evidence.entry.district.code)
    return files.download(evidence.sha256, evidence.original_name)


@login_required
def checklist_edit(request: HttpRequest, profile: str) -> HttpResponse:
    """Administrators edit a profile's checklist; saving adds a version."""
    if not access.can(request.user, "configure"):
        raise PermissionDenied
    rule = get_object_or_404(RuleProfile, name=profile)
    current = selectors.checklist_version_for(rule)
    if current is None:
        from assessment.defaults import DEFAULT_CHECKLIST

        definition: dict[str, Any] = DEFAULT_CHECKLIST
    else:
        definition = current.definition
    form = ChecklistDefinitionForm(
        request.POST or None, initial={"definition": json.dumps(definition, ensure_ascii=False, indent=2)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = services.checklist_update(
                profile=rule,
                definition=form.cleaned_data["definition"],
                user=access.acting_user(request),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error("definition", error.messages)
        else:
            messages.success(request, _("已保存为第 %(v)s 版") % {"v": version.version})
            return redirect("assessment:checklist_edit", rule.name)
    versions = ChecklistVersion.objects.filter(profile=rule).order_by("-version")
    return render(
        request,
        "assessment/checklist_edit.html",
        {
            "profile": rule,
            "form": form,
            "versions": versions,
            "inherited": current is not None and current.profile_id != rule.pk,
        },
    )
