"""Data exchange with the bureau's spreadsheets: templates, exports, browser imports, a new year.

- Templates and exports are written in the data dictionary's format (schools.spreadsheet), from
  the registry and the stored statistics; the export adds the stored balance results (the
  BalanceResult documents the pages read), so an export re-imports with no changes.
- A browser import is an ImportJob: the upload is stored with its checksum, checked by a Celery
  job (schools.tasks) through schools.importing.check_table, shown as a preview, and applied only
  when a person confirms, through schools.importing.import_rows (all-or-nothing).
- A new school year starts from last year's facility figures, marked unconfirmed until a person
  confirms each school.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from core.storage import private_dir, store_by_checksum
from core.years import current_school_year, school_year_label
from schools import importing, services, spreadsheet
from schools.fields import AREA_TYPES, FACILITY_KEYS, OWNERSHIPS, SCHOOL_TYPES, STAT_KEYS
from schools.models import AnnualStatistics, District, ImportJob, School, StatisticsEvent
from schools.selectors import SchoolYearRow, district_school_rows, school_version

log = logging.getLogger(__name__)

# --- stored uploads ----------------------------------------------------------------------------


def imports_dir() -> Path:
    return private_dir("imports")


def _store(data: bytes) -> str:
    """Keep an upload under its checksum (idempotent, atomic) and return the sha256."""
    return store_by_checksum("imports", data)


def import_file(job: ImportJob) -> bytes:
    return (imports_dir() / job.sha256).read_bytes()


# --- the format's rows -------------------------------------------------------------------------

NOTES = [
    "填表说明",
    "1. 每行一所学校,按 9月1日 统计时点填写;学年填起始年份(2025 = 2025—2026学年)。",
    "2. 表头可用中文列名(可带单位)或数据字典的英文键名;不要合并表头单元格,不要删除“学校标识码”列。",
    "3. 空白表示“未填报”,与 0 不同;数字请直接填写,可带千位分隔符(1,200.5),不要填写公式、日期或单位。",
    "4. 学校类型、办学性质、城乡分类请从下拉列表中选择;是否县属填“是”或“否”;教学点须填写所属学校标识码。",
    "5. 与上年相比变化超过 50% 的数据须在“变动说明”列填写原因(也可在导入预览页逐项填写)。",
    "6. 面积单位为平方米(m²),教学仪器设备资产值单位为元(不是万元)。",
    "7. 上传后系统先检查并显示预览:每处错误注明工作表和单元格(如 学校统计!H12);确认后才会保存。",
]


def row_values(row: SchoolYearRow, year: int, district_code: str) -> dict[str, Any]:
    """One school-year as a row of the format (enumerations as their Chinese labels)."""
    version = row.version
    values: dict[str, Any] = {
        "district_code": district_code,
        "year": year,
        "school_code": row.school.code,
        "school_name": version.name,
        "school_type": SCHOOL_TYPES.get(version.school_type, version.school_type),
        "parent_school_code": version.parent.code if version.parent else None,
        "ownership": OWNERSHIPS.get(version.ownership, version.ownership),
        "county_run": spreadsheet.YES if version.county_run else spreadsheet.NO,
        "area_type": AREA_TYPES.get(version.area_type, version.area_type),
    }
    values.update(services.stat_values(row.statistics))
    return values


# The data sheet's name: part of every cell reference (学校统计!H12), so it is not translated.
SHEET_TITLE = "学校统计"


def template_workbook(district: District, year: int) -> bytes:
    """The template for a district and year: its schools pre-filled (with the year's figures
    where they exist), drop-down lists for the enumerations, blank rows for new schools."""
    rows = [row_values(r, year, district.code) for r in district_school_rows(district, year)]
    notes = [f"{district.name}({district.code}) {school_year_label(year)}", *NOTES]
    return spreadsheet.write_workbook(rows, sheet_title=SHEET_TITLE, notes=notes, blank_rows=100)


def school_workbook(school: School, year: int) -> bytes:
    """One school's row for offline entry (pre-filled with the year's figures, or last year's
    facility figures for a year not yet entered, marked as such in the notes)."""
    version = school_version(school, year)
    if version is None:
        raise ValidationError(_("%(year)s 学年该校尚未登记") % {"year": year})
    stats = AnnualStatistics.objects.filter(school=school, year=year).first()
    row = row_values(SchoolYearRow(school, version, stats), year, school.district.code)
    notes = [f"{version.name}({school.code}) {school_year_label(year)}", *NOTES]
    if stats is None:
        previous = AnnualStatistics.objects.filter(school=school, year=year - 1).first()
        if previous is not None:
            row.update({k: getattr(previous, k) for k in FACILITY_KEYS})
            notes.append(_("注意:校舍、设备与图书等设施数据沿用了 %(y)s 学年的数值,请核对后再上报。") % {"y": year - 1})
    return spreadsheet.write_workbook([row], sheet_title=SHEET_TITLE, notes=notes)


def export_workbook(district: District, year: int) -> bytes:
    """The county's statistics for a year (re-importable as it is) and its stored balance results."""
    rows = [row_values(r, year, district.code) for r in district_school_rows(district, year)]
    notes = [
        f"{district.name}({district.code}) {school_year_label(year)}",
        _("导出时间:%(t)s") % {"t": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
        _("第一个工作表可修改后直接导入;其后的工作表是系统保存的均衡评估结果,与页面显示一致。"),
        *NOTES,
    ]
    return spreadsheet.write_workbook(
        rows, sheet_title=SHEET_TITLE, notes=notes, extra_sheets=results_sheets(district, year)
    )


def results_sheets(district: District, year: int) -> list[spreadsheet.SheetSpec]:
    """The stored results of the district-year, one sheet per rule profile (values at full
    precision, shown with two decimals, as the pages show them)."""
    from indicators.models import BalanceResult
    from indicators.presentation import LEVEL_LABELS, note_text

    sheets = []
    stored = BalanceResult.objects.filter(district=district, year=year, is_current=True).order_by("profile_name")
    for result in stored:
        outcome = result.outcome
        rules = outcome.rules
        computed = timezone.localtime(result.computed_at).strftime("%Y-%m-%d %H:%M")
        rows: list[list[Any]] = [
            [_("评估规则"), outcome.profile.label, _("计算时间"), computed, _("数据指纹"), result.input_fingerprint],
            [],
            [_("学段"), _("指标"), _("指标键"), _("均值"), _("标准差"), _("差异系数"), _("标准"), _("是否达标")],
        ]
        for name, level in outcome.levels.items():
            level_label = LEVEL_LABELS.get(name, name)
            for key, indicator in level.indicators.items():
                rows.append(
                    [
                        level_label,
                        indicator.rule.label,
                        key,
                        indicator.mean,
                        indicator.sd,
                        indicator.cv,
                        indicator.threshold,
                        _yes_no_none(indicator.passes),
                    ]
                )
            if level.composite is not None:
                rows.append([level_label, _("综合差异系数"), "composite", None, None, level.composite])
            rows.append([level_label, _("该学段是否达标"), "", None, None, None, None, _yes_no_none(level.passes)])
        rows.append([])
        rows.append(
            [
                _("学校标识码(评估单位)"),
                _("名称"),
                _("学段"),
                _("学生数"),
                _("是否参评"),
                _("不参评原因"),
                *(rule.label for rule in rules),
                _("达标项数"),
                _("学校是否达标"),
            ]
        )
        for unit in outcome.units:
            rows.append(
                [
                    unit.school_code,
                    unit.school_name,
                    LEVEL_LABELS.get(unit.level, unit.level),
                    unit.students,
                    _yes_no_none(unit.included),
                    note_text(unit.exclusion),
                    *(unit.values.get(rule.key) for rule in rules),
                    unit.met,
                    _yes_no_none(unit.passes),
                ]
            )
        sheets.append(spreadsheet.SheetSpec(title=f"{_('均衡结果')}-{result.profile_name}", rows=rows))
    return sheets


def _yes_no_none(value: bool | None) -> str:
    if value is None:
        return "—"
    return spreadsheet.YES if value else spreadsheet.NO


def download_name(prefix: str, district: District, year: int) -> str:
    return f"{prefix}-{district.code}-{year}.xlsx"


# --- browser imports ---------------------------------------------------------------------------


def _enqueue(task_name: str, job_id: int) -> None:
    """Queue a job's task; a broker that cannot be reached leaves a clear message on the job."""
    from schools import tasks

    task = getattr(tasks, task_name)
    try:
        task.delay(job_id)
    except Exception:
        log.exception("could not queue %s for import job %s", task_name, job_id)
        ImportJob.objects.filter(pk=job_id, status=ImportJob.State.PENDING).update(
            status=ImportJob.State.REJECTED, message=_("后台任务暂时无法启动,请稍后重新上传")
        )
        ImportJob.objects.filter(pk=job_id, status=ImportJob.State.APPLYING).update(
            status=ImportJob.State.CHECKED, message=_("后台任务暂时无法启动,未保存任何数据,请稍后再确认")
        )


def import_job_create(*, district: District, year: int, upload: UploadedFile, user: User | None) -> ImportJob:
    """Keep the upload and queue its check. Nothing else is written."""
    name = (upload.name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200]
    if upload.size is not None and upload.size > spreadsheet.MAX_UPLOAD_BYTES:
        raise ValidationError(_("文件过大,上限为 %(mb)s MB") % {"mb": spreadsheet.MAX_UPLOAD_BYTES // 1024 // 1024})
    data = upload.read(spreadsheet.MAX_UPLOAD_BYTES + 1)
    if len(data) > spreadsheet.MAX_UPLOAD_BYTES:
        raise ValidationError(_("文件过大,上限为 %(mb)s MB") % {"mb": spreadsheet.MAX_UPLOAD_BYTES // 1024 // 1024})
    if not data:
        raise ValidationError(_("文件为空"))
    digest = _store(data)
    job = ImportJob.objects.create(
        district=district, year=year, original_name=name, sha256=digest, size=len(data), uploaded_by=user
    )
    transaction.on_commit(lambda: _enqueue("check_import", job.pk))
    return job


def _progress(job_id: int) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress=min(99, int(done * 100 / max(total, 1))))

    return report


def import_job_check(*, job_id: int) -> ImportJob | None:
    """The Celery job's work: read the stored file, check it, store the preview. Idempotent."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.State.PENDING, ImportJob.State.CHECKING]
    ).update(status=ImportJob.State.CHECKING, progress=0, message="")
    job = ImportJob.objects.select_related("district").filter(pk=job_id).first()
    if job is None or not claimed:
        return job
    try:
        table = spreadsheet.read_table(import_file(job), job.original_name)
        report = importing.check_table(
            table,
            district_code=job.district.code,
            year=job.year,
            reasons=job.reasons,
            progress=_progress(job.pk),
        )
    except spreadsheet.FileRejected as rejected:
        _finish(job, ImportJob.State.REJECTED, message=str(rejected), report={})
        return job
    except Exception:
        log.exception("import job %s: check failed", job_id)
        _finish(job, ImportJob.State.REJECTED, message=_("检查时发生内部错误,请联系管理员"), report={})
        return job
    state = ImportJob.State.CHECKED if report.ok else ImportJob.State.INVALID
    _finish(job, state, message="", report=report.to_dict())
    return job


def _finish(job: ImportJob, state: str, *, message: str, report: dict[str, Any]) -> None:
    job.status = state
    job.message = message
    job.report = report
    job.progress = 100
    job.save(update_fields=["status", "message", "report", "progress"])


def reasons_from(data: Mapping[str, str], report: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The reasons typed in the preview: fields `reason:<school_code>:<key>` for its warnings."""
    reasons: dict[str, dict[str, str]] = {}
    for row in report.get("rows", []):
        for warning in row.get("warnings", []):
            key = warning.get("key")
            text = (data.get(f"reason:{row['school_code']}:{key}") or "").strip()[:500]
            if key in STAT_KEYS and text:
                reasons.setdefault(row["school_code"], {})[key] = text
    return reasons


def import_job_confirm(*, job: ImportJob, user: User | None, reasons: Mapping[str, Mapping[str, str]]) -> ImportJob:
    """A person confirms the preview: queue the all-or-nothing import."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.State.CHECKED:
            raise ValidationError(_("该导入当前不能确认(%(s)s)") % {"s": locked.get_status_display()})
        merged = {code: dict(values) for code, values in locked.reasons.items()}
        for code, values in reasons.items():
            merged.setdefault(code, {}).update(values)
        locked.reasons = merged
        locked.status = ImportJob.State.APPLYING
        locked.progress = 0
        locked.message = ""
        locked.confirmed_by = user
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["reasons", "status", "progress", "message", "confirmed_by", "confirmed_at"])
        transaction.on_commit(lambda: _enqueue("apply_import", locked.pk))
    return locked


def import_job_apply(*, job_id: int) -> ImportJob | None:
    """The Celery job's work after confirmation: check again and apply, all-or-nothing.

    Applied only when the check still gives what the preview showed (same fingerprint) and every
    jump has its reason; otherwise the job goes back to the preview with the new findings. The
    job row is locked for the whole import and marked applied in the same transaction, so a
    task delivered twice applies once.
    """
    try:
        with transaction.atomic():
            job = (
                ImportJob.objects.select_for_update(of=("self",))
                .select_related("district", "confirmed_by")
                .filter(pk=job_id)
                .first()
            )
            if job is None or job.status != ImportJob.State.APPLYING:
                return job
            try:
                table = spreadsheet.read_table(import_file(job), job.original_name)
            except spreadsheet.FileRejected as rejected:
                _finish(job, ImportJob.State.REJECTED, message=str(rejected), report={})
                return job
            report = importing.import_rows(
                table,
                district_code=job.district.code,
                year=job.year,
                user=job.confirmed_by,
                reasons=job.reasons,
                expected_fingerprint=job.report.get("fingerprint"),
            )
            _record_outcome(job, report)
            return job
    except Exception:
        log.exception("import job %s: apply failed", job_id)
        ImportJob.objects.filter(pk=job_id, status=ImportJob.State.APPLYING).update(
            status=ImportJob.State.CHECKED, message=_("导入时发生内部错误,未保存任何数据")
        )
        return ImportJob.objects.filter(pk=job_id).first()


def _record_outcome(job: ImportJob, report: importing.ImportReport) -> None:
    if report.applied:
        job.applied_at = timezone.now()
        job.save(update_fields=["applied_at"])
        _finish(job, ImportJob.State.APPLIED, message="", report=report.to_dict())
        return
    if report.ok and report.warning_count:
        message = _("还有 %(n)s 处较上年变化较大的数据需要填写变动说明,未保存任何数据") % {"n": report.warning_count}
    else:
        message = _("确认时重新检查发现了变化或错误,未保存任何数据;请查看下方最新结果")
    state = ImportJob.State.CHECKED if report.ok else ImportJob.State.INVALID
    _finish(job, state, message=message, report=report.to_dict())


def import_job_cancel(*, job: ImportJob, user: User | None) -> ImportJob:
    updated = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.State.CHECKED, ImportJob.State.INVALID, ImportJob.State.REJECTED]
    ).update(status=ImportJob.State.CANCELLED)
    if not updated:
        raise ValidationError(_("该导入当前不能取消"))
    job.refresh_from_db()
    return job


def import_job_marked_workbook(job: ImportJob) -> bytes:
    """The upload with each bad cell filled red and commented, and a list of all errors."""
    report = job.report
    marks: list[spreadsheet.Mark] = []
    summary: list[str] = []
    for problem in report.get("file_errors", []):
        summary.append(_problem_text(problem))
        if problem.get("row"):
            marks.append(spreadsheet.Mark(problem["row"], problem.get("column"), problem["message"]))
    for row in report.get("rows", []):
        for problem in row.get("errors", []):
            summary.append(_problem_text(problem))
            marks.append(spreadsheet.Mark(problem.get("row") or row["row"], problem.get("column"), problem["message"]))
    return spreadsheet.marked_copy(
        import_file(job), job.original_name, report.get("sheet") or job.original_name, marks, summary
    )


def _problem_text(problem: Mapping[str, Any]) -> str:
    return importing.Problem(problem.get("where", ""), problem.get("message", ""), problem.get("found", "")).text()


# --- a new school year -------------------------------------------------------------------------


@transaction.atomic
def year_start(*, district: District, year: int, user: User | None) -> int:
    """Start school year `year` for a district: each school open in `year` with statistics in
    `year - 1` and none in `year` gets a record pre-filled with last year's facility figures
    (FACILITY_KEYS: areas, equipment, books, rooms), marked unconfirmed until a person confirms
    it (or saves it). Returns the number of records started. Idempotent."""
    previous = {s.school_id: s for s in AnnualStatistics.objects.filter(school__district=district, year=year - 1)}
    items = []
    for row in district_school_rows(district, year):
        last = previous.get(row.school.pk)
        if row.statistics is not None or last is None:
            continue
        raw = {key: getattr(last, key) for key in FACILITY_KEYS}
        prefetched = services.Prefetched(version=row.version, previous=last, stored=None)
        items.append(services.SaveItem(row.school, raw, {}, prefetched))
    results = services.statistics_save_many(items=items, year=year, user=user, action=StatisticsEvent.Action.CREATE)
    started = [result.statistics.pk for result in results]
    AnnualStatistics.objects.filter(pk__in=started).update(unconfirmed=True)
    return len(started)


def year_choices(district: District) -> list[int]:
    """Years a page offers: those with statistics, the current school year and the next."""
    years = set(AnnualStatistics.objects.filter(school__district=district).values_list("year", flat=True))
    this = current_school_year()
    years |= {this, this + 1}
    return sorted(years, reverse=True)
