"""Pages of the work summaries: the editor (text around the figures), versions, downloads.

Thin: access → the draft's facts (summaries.build) → one service call → render or redirect.
The county's summary is written by its bureau (`manage`); a school's by its principal
(`edit_school_summary`); everyone who may see the county or the school reads and downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import access
from schools.models import District, School
from summaries import selectors, services
from summaries.blocks import Block, blocks_from, merge_edits
from summaries.build import Draft, county_draft, school_draft
from summaries.files import CONTENT_TYPES, render_file
from summaries.models import SummaryVersion, WorkSummary


@dataclass
class Target:
    """What one summary page is about: a county or a school, its year and who may write."""

    kind: str
    district: District
    school: School | None
    year: int
    can_edit: bool
    summary: WorkSummary | None

    @property
    def page_url(self) -> str:
        if self.school is not None:
            return reverse("summaries:school", args=[self.school.code, self.year])
        return reverse("summaries:county", args=[self.district.code, self.year])

    def draft(self) -> Draft:
        profile = self.summary.profile_name if self.summary is not None else None
        if self.school is not None:
            return school_draft(self.school, self.year, profile)
        return county_draft(self.district, self.year, profile)

    def save_lookup(self) -> dict[str, Any]:
        return {"kind": self.kind, "district": self.district, "school": self.school, "year": self.year}


def _county(request: HttpRequest, district_code: str, year: int) -> Target:
    user = access.acting_user(request)
    district: District = access.get_district_for_user(user, district_code)
    return Target(
        WorkSummary.Kind.COUNTY,
        district,
        None,
        year,
        access.can(user, "manage", district),
        selectors.county_summary(district, year),
    )


def _school(request: HttpRequest, code: str, year: int) -> Target:
    user = access.acting_user(request)
    school: School = access.get_school_for_user(user, code)
    return Target(
        WorkSummary.Kind.SCHOOL,
        school.district,
        school,
        year,
        access.can(user, "edit_school_summary", school.district, school),
        selectors.school_summary(school, year),
    )


def _version_number(request: HttpRequest) -> int | None:
    raw = request.GET.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
def county_home(request: HttpRequest, district_code: str) -> HttpResponse:
    """The county's summary of its newest year with a stored result."""
    district: District = access.get_district_for_user(access.acting_user(request), district_code)
    years = selectors.years_with_results(district)
    if not years:
        return render(request, "summaries/none.html", {"district": district, "years": []})
    return redirect("summaries:county", district.code, years[0])


@login_required
def county_page(request: HttpRequest, district_code: str, year: int) -> HttpResponse:
    return _page(request, _county(request, district_code, year))


@login_required
def school_page(request: HttpRequest, code: str, year: int) -> HttpResponse:
    return _page(request, _school(request, code, year))


def _page(request: HttpRequest, target: Target) -> HttpResponse:
    try:
        draft = target.draft()
    except selectors.NoResult as missing:
        if request.method == "POST":
            _require_edit(request, target)
        years = selectors.years_with_results(target.district)
        context = {"district": target.district, "school": target.school, "years": years, "reason": str(missing)}
        return render(request, "summaries/none.html", context)
    if request.method == "POST":
        _require_edit(request, target)
        return _post(request, target, draft)
    number = _version_number(request)
    version = selectors.version_of(target.summary, number)
    if number is not None and version is None:
        raise Http404(_("没有找到该版本"))
    blocks = blocks_from(version.blocks) if version is not None else draft.default_blocks
    return render(request, "summaries/editor.html", _context(request, target, draft, version, blocks))


def _require_edit(request: HttpRequest, target: Target) -> None:
    if not target.can_edit:
        raise PermissionDenied(_("您没有权限执行此操作 / You may not do this"))


def _context(
    request: HttpRequest,
    target: Target,
    draft: Draft,
    version: SummaryVersion | None,
    blocks: list[Block],
    errors: list[str] | None = None,
) -> dict[str, Any]:
    latest = selectors.version_of(target.summary, None)
    viewing_old = version is not None and latest is not None and version.number != latest.number
    editable = target.can_edit and services.editable(target.summary) and not viewing_old
    return {
        "target": target,
        "district": target.district,
        "school": target.school,
        "year": target.year,
        "summary": target.summary,
        "version": version,
        "latest": latest,
        "viewing_old": viewing_old,
        "editable": editable,
        "can_submit": target.can_edit and target.school is not None and latest is not None and not viewing_old,
        "blocks": [{"block": b, "elements": draft.data_elements(b.data) if b.type == "data" else []} for b in blocks],
        "figures": list(draft.figures.items()),
        "preview": draft.render(blocks),
        "versions": selectors.versions_of(target.summary),
        "data_changed": version is not None and version.data_stamp != draft.stamp,
        "errors": errors or [],
        "base_number": version.number if version is not None else 0,
        "years": selectors.years_with_results(target.district),
        "page_url": target.page_url,
        "file_query": f"?version={version.number}" if version is not None and viewing_old else "",
    }


def _post(request: HttpRequest, target: Target, draft: Draft) -> HttpResponse:
    user = access.acting_user(request)
    action = request.POST.get("action", "save")
    try:
        if action == "restore":
            number = int(request.POST.get("version", "0") or 0)
            if target.summary is None:
                raise ValidationError(_("没有找到该版本"))
            saved = services.summary_restore(summary=target.summary, number=number, stamp=draft.stamp, user=user)
            messages.success(request, _("已恢复为新的第 %(n)s 版") % {"n": saved.number})
        elif action == "submit":
            if target.summary is None:
                raise ValidationError(_("请先保存自评总结"))
            services.summary_submit(summary=target.summary, user=user)
            messages.success(request, _("自评总结已随年度自评提交"))
        else:
            return _save(request, target, draft)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(target.page_url)


def _save(request: HttpRequest, target: Target, draft: Draft) -> HttpResponse:
    raw_base = request.POST.get("base", "0")
    base_number = int(raw_base) if raw_base.isdigit() else 0
    base_version = selectors.version_of(target.summary, base_number) if base_number else None
    base = blocks_from(base_version.blocks) if base_version is not None else draft.default_blocks
    edits = {b.id: request.POST[f"block-{b.id}"] for b in base if b.editable and f"block-{b.id}" in request.POST}
    try:
        saved = services.summary_save(
            **target.save_lookup(),
            profile_name=draft.facts.profile.name,
            base=base,
            base_number=base_number,
            edits=edits,
            figures=draft.figures,
            stamp=draft.stamp,
            user=access.acting_user(request),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        # Nothing saved: the page comes back with the clerk's text as typed and the reasons.
        typed = merge_edits(base, edits)
        context = _context(request, target, draft, base_version, typed, error.messages)
        context["base_number"] = base_number
        context["editable"] = True
        return render(request, "summaries/editor.html", context, status=400)
    messages.success(request, _("已保存为第 %(n)s 版") % {"n": saved.number})
    return redirect(target.page_url)


@login_required
@require_GET
def county_file(request: HttpRequest, district_code: str, year: int, fmt: str) -> HttpResponse:
    return _file(request, _county(request, district_code, year), fmt)


@login_required
@require_GET
def school_file(request: HttpRequest, code: str, year: int, fmt: str) -> HttpResponse:
    return _file(request, _school(request, code, year), fmt)


def _file(request: HttpRequest, target: Target, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    try:
        draft = target.draft()
    except selectors.NoResult as missing:
        raise Http404(str(missing)) from missing
    number = _version_number(request)
    version = selectors.version_of(target.summary, number)
    if number is not None and version is None:
        raise Http404(_("没有找到该版本"))
    body = render_file(draft, version, fmt, author=str(access.acting_user(request)))
    suffix = f"(第{version.number}版)" if version is not None else "(初稿)"
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    filename = f"{draft.filename_stem}{suffix}.{fmt}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
