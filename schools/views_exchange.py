"""Pages of the data exchange: templates, exports, browser imports with a preview, a new year.

Thin: access (core.access: importing, exporting and starting a year are "manage" in the
district; reading an import's record is "view") → form → one schools.exchange call → response.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import access
from core.years import school_year_label
from schools import exchange, services
from schools.fields import SCHOOL_FIELDS, STAT_FIELD_BY_KEY, STAT_KEYS
from schools.models import AnnualStatistics, District, ImportJob, School
from schools.selectors import default_year, district_school_rows
from schools.spreadsheet import EXTRA_COLUMNS, MAX_UPLOAD_BYTES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Distinct errors shown on the page; all of them are in the marked workbook.
ERROR_GROUPS_SHOWN = 300
CELLS_SHOWN = 8


class UploadForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("学年"), coerce=int)
    file = forms.FileField(
        label=gettext_lazy("统计文件(.xlsx 或 .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, school_year_label(y)) for y in years]  # type: ignore[attr-defined]


def _year(request: HttpRequest, district: District) -> int:
    try:
        return int(request.GET.get("year") or request.POST.get("year") or "")
    except ValueError:
        return default_year(district.pk)


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or ""
    return response


def _job(request: HttpRequest, pk: int, action: access.Action = "view") -> ImportJob:
    """An import record through its district's scope: 404 outside it, 403 for a forbidden action."""
    job = (
        ImportJob.objects.select_related("district", "uploaded_by", "confirmed_by")
        .filter(pk=pk, district__in=access.district_scope(request.user))
        .first()
    )
    if job is None:
        raise Http404(_("没有找到该导入记录"))
    access.require(request.user, action, job.district)
    return job


# --- the district's exchange page --------------------------------------------------------------


def _home(request: HttpRequest, district: District, form: UploadForm | None = None, status: int = 200) -> HttpResponse:
    years = exchange.year_choices(district)
    year = _year(request, district)
    can_manage = access.can(request.user, "manage", district)
    schools = []
    if can_manage:
        schools = [(r.school.code, r.version.name) for r in district_school_rows(district, year)]
    latest = AnnualStatistics.objects.filter(school__district=district).aggregate(latest=Max("year"))["latest"]
    context = {
        "district": district,
        "year": year,
        "years": years,
        "form": form or UploadForm(initial={"year": year}, years=years),
        "jobs": ImportJob.objects.filter(district=district).select_related("uploaded_by", "confirmed_by")[:30],
        "can_manage": can_manage,
        "schools": schools,
        "next_year": (latest + 1) if latest else None,
        "max_mb": MAX_UPLOAD_BYTES // 1024 // 1024,
    }
    return render(request, "schools/import_home.html", context, status=status)


@login_required
def exchange_home(request: HttpRequest, district_code: str) -> HttpResponse:
    """Upload, downloads (template, export, one school's workbook), a new year, past imports.

    `?workbook=<school code>&year=<year>` (the page's school picker) leads to that school's workbook.
    """
    district: District = access.get_district_for_user(request.user, district_code)
    code = request.GET.get("workbook", "")
    if code:
        return redirect("schools:school_workbook", code=code, year=_year(request, district))
    return _home(request, district)


@login_required
def template_download(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code, "manage")
    year = _year(request, district)
    return _xlsx(exchange.template_workbook(district, year), exchange.download_name("template", district, year))


@login_required
def export_download(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code, "manage")
    year = _year(request, district)
    return _xlsx(exchange.export_workbook(district, year), exchange.download_name("export", district, year))


@login_required
def school_workbook_download(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """One school's pre-filled workbook for offline entry (whoever may enter its statistics)."""
    school: School = access.get_school_for_user(request.user, code, "edit_statistics")
    try:
        data = exchange.school_workbook(school, year)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("schools:school_detail", code=code)
    return _xlsx(data, f"school-{school.code}-{year}.xlsx")


@login_required
@require_POST
def import_upload(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code, "manage")
    years = exchange.year_choices(district)
    form = UploadForm(request.POST, request.FILES, years=years)
    if form.is_valid():
        try:
            job = exchange.import_job_create(
                district=district,
                year=form.cleaned_data["year"],
                upload=form.cleaned_data["file"],
                user=access.acting_user(request),
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("schools:import_detail", pk=job.pk)
    return _home(request, district, form, status=400)


@login_required
@require_POST
def year_start(request: HttpRequest, district_code: str) -> HttpResponse:
    district: District = access.get_district_for_user(request.user, district_code, "manage")
    try:
        year = int(request.POST.get("year", ""))
    except ValueError as exc:
        raise Http404(_("学年不正确")) from exc
    count = exchange.year_start(district=district, year=year, user=access.acting_user(request))
    if count:
        messages.success(
            request,
            _("已开始 %(label)s:%(n)s 所学校沿用上年的设施数据,标记为“待确认”")
            % {"label": school_year_label(year), "n": count},
        )
    else:
        messages.info(
            request, _("没有需要开始的学校:%(label)s 已有数据,或上年没有数据") % {"label": school_year_label(year)}
        )
    return redirect(f"{_list_url(district)}?year={year}")


def _list_url(district: District) -> str:
    return reverse("schools:school_list", kwargs={"district_code": district.code})


@login_required
@require_POST
def statistics_confirm(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """A person confirms a school's figures carried over from last year."""
    school: School = access.get_school_for_user(request.user, code, "edit_statistics")
    stats = AnnualStatistics.objects.filter(school=school, year=year).first()
    if stats is None:
        raise Http404(_("该年度尚无数据"))
    try:
        services.statistics_confirm(stats=stats, user=access.acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已确认 %(code)s 的 %(y)s 学年数据") % {"code": school.code, "y": year})
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("schools:school_detail", code=code)


# --- one import ------------------------------------------------------------------------------


def _label(key: str | None) -> str:
    if not key:
        return ""
    if key in STAT_FIELD_BY_KEY:
        spec = STAT_FIELD_BY_KEY[key]
        return f"{spec.label}({spec.unit})"
    return SCHOOL_FIELDS.get(key) or EXTRA_COLUMNS.get(key, key)


def _error_groups(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors, de-duplicated: the same message in the same column on many rows is one line."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in report.get("rows", []):
        for error in row.get("errors", []):
            key = (error.get("column"), error.get("message"))
            group = groups.setdefault(
                key,
                {
                    "cells": [],
                    "found": [],
                    "message": error.get("message", ""),
                    "field": _label(error.get("key")),
                    "schools": [],
                },
            )
            group["cells"].append(error.get("where", ""))
            if error.get("found") and error["found"] not in group["found"]:
                group["found"].append(error["found"])
            if row.get("school_code") and row["school_code"] not in group["schools"]:
                group["schools"].append(row["school_code"])
    out = []
    for group in groups.values():
        cells = group["cells"]
        group["count"] = len(cells)
        group["where"] = "、".join(cells[:CELLS_SHOWN]) + ("…" if len(cells) > CELLS_SHOWN else "")
        group["found_text"] = "、".join(group["found"][:CELLS_SHOWN])
        out.append(group)
    return out


def _preview(report: dict[str, Any]) -> dict[str, Any]:
    changed, new_schools, warnings = [], [], []
    for row in report.get("rows", []):
        if row.get("errors"):
            continue
        lines = [
            {"label": _label(key), "old": old, "new": new, "key": key}
            for key, (old, new) in row.get("profile_changes", {}).items()
        ]
        lines += [
            {"label": _label(key), "old": old, "new": new, "key": key, "unit": STAT_FIELD_BY_KEY[key].unit}
            for key, (old, new) in sorted(row.get("changes", {}).items(), key=lambda item: STAT_KEYS.index(item[0]))
        ]
        entry = {**row, "lines": lines}
        if row.get("new_school"):
            new_schools.append(entry)
        elif lines or row.get("confirms"):
            changed.append(entry)
        for warning in row.get("warnings", []):
            warnings.append(
                {
                    **warning,
                    "school_code": row["school_code"],
                    "school_name": row.get("school_name", ""),
                    "label": _label(warning.get("key")),
                    "input": f"reason:{row['school_code']}:{warning.get('key')}",
                }
            )
    groups = _error_groups(report)
    return {
        "changed": changed,
        "new_schools": new_schools,
        "warnings": warnings,
        "error_groups": groups[:ERROR_GROUPS_SHOWN],
        "error_groups_hidden": max(0, len(groups) - ERROR_GROUPS_SHOWN),
        "file_errors": report.get("file_errors", []),
        "notices": report.get("notices", []),
        "counts": report.get("counts", {}),
    }


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    can_manage = access.can(request.user, "manage", job.district)
    context: dict[str, Any] = {
        "job": job,
        "district": job.district,
        "can_manage": can_manage,
        "year_label": school_year_label(job.year),
        "preview": _preview(job.report) if job.report else None,
        "has_errors": bool(job.report.get("file_errors") or job.report.get("counts", {}).get("errors")),
    }
    return render(request, "schools/import_detail.html", context)


@login_required
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the page polls while the job runs."""
    job = _job(request, pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_label": job.get_status_display(),
            "progress": job.progress,
            "busy": job.busy,
            "message": job.message,
            "counts": job.report.get("counts", {}),
        }
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk, "manage")
    reasons = exchange.reasons_from(request.POST, job.report)
    try:
        exchange.import_job_confirm(job=job, user=access.acting_user(request), reasons=reasons)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("schools:import_detail", pk=job.pk)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk, "manage")
    try:
        exchange.import_job_cancel(job=job, user=access.acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(request, _("已取消,未保存任何数据"))
    return redirect("schools:exchange_home", district_code=job.district.code)


@login_required
def import_errors_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload with its bad cells marked (fill colour and a comment on each)."""
    job = _job(request, pk)
    if not job.report or job.status == ImportJob.State.REJECTED:
        raise Http404(_("该文件没有可标注的错误"))
    stem = job.original_name.rsplit(".", 1)[0]
    return _xlsx(exchange.import_job_marked_workbook(job), _("%(name)s-错误标注.xlsx") % {"name": stem})


@login_required
def import_file_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file as it was uploaded (the record of what was imported)."""
    job = _job(request, pk)
    response = HttpResponse(exchange.import_file(job), content_type="application/octet-stream")
    disposition = content_disposition_header(as_attachment=True, filename=job.original_name)
    response["Content-Disposition"] = disposition or ""
    return response
