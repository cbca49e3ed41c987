"""Checking and applying the bureau's statistics file (data-dictionary.md format).

`read_table` (schools.spreadsheet) turns a file into rows of raw cells with their spreadsheet
coordinates. `check_table` compares them with the registry and the stored statistics, loaded in
bulk, and reports per row what would change (before → after), the warnings and the errors, each
naming its cell (`Sheet1!H12`), the value found and what was expected; it writes nothing.
`import_rows` checks again inside one transaction and applies the file through the same services
as the browser forms, all-or-nothing: a file with any error saves nothing.

The command line (`manage.py import_statistics`), the browser's preview and the confirmed
browser import all go through these two functions, so a cell is named the same way everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter, range_boundaries

from core.models import User
from schools import services
from schools.fields import AREA_TYPES, OWNERSHIPS, SCHOOL_FIELDS, SCHOOL_TYPES, STAT_FIELDS, STAT_KEYS
from schools.models import AnnualStatistics, District, School, SchoolVersion, StatisticsEvent
from schools.selectors import version_for_year
from schools.spreadsheet import (
    EXTRA_COLUMNS,
    HEADER_KEYS,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    FileRejected,
    Table,
    enum_value,
    text_of,
    yes_no,
)
from schools.spreadsheet import read_table as read_bytes
from schools.validation import CheckResult

ImportFileError = FileRejected  # the name the command line has always caught
Progress = Callable[[int, int], None]
PROGRESS_EVERY = 25  # rows between two progress reports

__all__ = [
    "EXTRA_COLUMNS",
    "HEADER_KEYS",
    "MAX_ROWS",
    "ImportFileError",
    "ImportReport",
    "Problem",
    "RowReport",
    "check_table",
    "format_report",
    "import_rows",
    "read_table",
]


def read_table(path: Path) -> Table:
    """Read a file from disk (the command line); the browser passes the upload's bytes to read_bytes."""
    if path.suffix.lower() not in (".csv", ".xlsx", ".xlsm"):
        raise FileRejected(_("只支持 CSV 或 XLSX 文件 / Only CSV or XLSX files are accepted"))
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise FileRejected(_("文件过大,上限为 %(max)s MB") % {"max": MAX_UPLOAD_BYTES // 1024 // 1024})
    return read_bytes(path.read_bytes(), path.name)


# --- the report ------------------------------------------------------------------------------


@dataclass
class Problem:
    """One error or warning: where (`Sheet1!H12`, `Sheet1!12` for a row, '' for the file), what
    is expected, and the value found."""

    where: str
    message: str
    found: str = ""
    row: int = 0
    column: int | None = None
    key: str | None = None

    def text(self) -> str:
        found = _("(当前值:“%(v)s”)") % {"v": self.found} if self.found else ""
        return f"{self.where}: {self.message}{found}" if self.where else f"{self.message}{found}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "message": self.message,
            "found": self.found,
            "row": self.row,
            "column": self.column,
            "key": self.key,
        }


@dataclass
class _Plan:
    """What applying a row needs (kept out of the stored preview)."""

    school: School | None
    attrs: dict[str, Any]
    parent_code: str | None
    version: SchoolVersion | None  # the version the row's statistics are checked against
    profile_changed: bool
    raw: dict[str, Any]
    reasons: dict[str, str]
    prefetched: services.Prefetched | None
    stored: AnnualStatistics | None
    save_statistics: bool


@dataclass
class RowReport:
    row: int
    school_code: str
    outcome: str = ""  # created / updated / unchanged / error
    school_name: str = ""
    new_school: bool = False
    confirms: bool = False  # figures carried over from last year are confirmed by this row
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    profile_changes: dict[str, list[Any]] = field(default_factory=dict)  # column key -> [old, new] texts
    changes: dict[str, list[Any]] = field(default_factory=dict)  # statistics key -> [old, new]
    plan: _Plan | None = field(default=None, repr=False)

    @property
    def messages(self) -> list[str]:
        hint = _("(可在“变动说明”列或预览页填写原因)")
        return [p.text() for p in self.errors] + [p.text() + hint for p in self.warnings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "school_code": self.school_code,
            "school_name": self.school_name,
            "outcome": self.outcome,
            "new_school": self.new_school,
            "confirms": self.confirms,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
            "profile_changes": self.profile_changes,
            "changes": self.changes,
        }


@dataclass
class ImportReport:
    sheet: str = ""
    header_row: int = 1
    rows: list[RowReport] = field(default_factory=list)
    file_errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # about the file: unknown columns
    applied: bool = False
    columns: dict[str, int] = field(default_factory=dict, repr=False)

    def where(self, row: int, key: str | None) -> str:
        """The cell of `key` in spreadsheet row `row` (`Sheet1!H12`), or the row (`Sheet1!12`)."""
        index = self.columns.get(key) if key else None
        if index is None:
            return f"{self.sheet}!{row}"
        return f"{self.sheet}!{get_column_letter(index + 1)}{row}"

    @property
    def ok(self) -> bool:
        """No errors (warnings may still need a reason)."""
        return not self.file_errors and all(not r.errors for r in self.rows)

    @property
    def ready(self) -> bool:
        """Can be applied as it is: no errors and every warning has its reason."""
        return self.ok and all(not r.warnings for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(r.errors) for r in self.rows)

    @property
    def warning_count(self) -> int:
        return sum(len(r.warnings) for r in self.rows)

    def problems(self) -> list[Problem]:
        return [*self.file_errors, *(p for r in self.rows for p in r.errors)]

    def counts(self) -> dict[str, int]:
        counts = {"rows": len(self.rows), "created": 0, "updated": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.outcome] = counts.get(row.outcome, 0) + 1
        counts["new_schools"] = sum(1 for r in self.rows if r.new_school and not r.errors)
        counts["errors"] = self.error_count
        counts["warnings"] = self.warning_count
        return counts

    @property
    def fingerprint(self) -> str:
        """What the file would change: a confirmation applies only what the preview showed."""
        changes = [
            [r.school_code, r.outcome, r.new_school, r.confirms, r.profile_changes, r.changes] for r in self.rows
        ]
        return hashlib.sha256(json.dumps(changes, sort_keys=True, default=str).encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "file_errors": [p.to_dict() for p in self.file_errors],
            "notices": [p.to_dict() for p in self.warnings],
            "rows": [r.to_dict() for r in self.rows],
            "counts": self.counts(),
            "fingerprint": self.fingerprint,
            "ok": self.ok,
            "ready": self.ready,
            "applied": self.applied,
        }


# --- checking --------------------------------------------------------------------------------


@dataclass
class _Context:
    """The registry and statistics a file refers to, loaded in five queries whatever its size."""

    district: District | None
    schools: dict[str, School]
    versions: dict[int, list[SchoolVersion]]
    stored: dict[int, AnnualStatistics]
    previous: dict[int, AnnualStatistics]
    new_codes: set[str]  # codes of the file that are not registered yet


def _columns(table: Table, report: ImportReport) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        key = HEADER_KEYS.get(header)
        if key is None:
            if header:
                report.warnings.append(
                    Problem(
                        "",
                        _("未识别的列“%(h)s”(%(cell)s)已忽略")
                        % {"h": header, "cell": table.cell(table.header_row, index)},
                        row=table.header_row,
                        column=index,
                    )
                )
            continue
        if key in columns:
            report.file_errors.append(
                Problem(
                    table.cell(table.header_row, index),
                    _("列“%(h)s”重复出现(另见 %(first)s)")
                    % {"h": header, "first": table.cell(table.header_row, columns[key])},
                    row=table.header_row,
                    column=index,
                )
            )
        columns[key] = index
    for ref in table.merged_header:
        min_col = range_boundaries(ref)[0] or 1
        report.file_errors.append(
            Problem(
                f"{table.sheet}!{ref}",
                _("表头有合并单元格:请取消合并,每列只写一个列名(可使用本系统下载的模板)"),
                row=table.header_row,
                column=min_col - 1,
            )
        )
    if "school_code" not in columns:
        report.file_errors.append(
            Problem(
                "",
                _("缺少必需的列:%(c)s(%(label)s)。请使用本系统下载的模板")
                % {"c": "school_code", "label": SCHOOL_FIELDS["school_code"]},
            )
        )
    if len(table.rows) > MAX_ROWS:
        report.file_errors.append(Problem("", _("行数超过上限 %(n)s") % {"n": MAX_ROWS}))
    if not table.rows:
        report.file_errors.append(Problem("", _("文件中没有数据行")))
    return columns


def _load(table: Table, columns: Mapping[str, int], district_code: str, year: int, *, lock: bool) -> _Context:
    def codes_in(key: str) -> set[str]:
        index = columns.get(key)
        if index is None:
            return set()
        return {text_of(cells[index]) for _n, cells in table.rows if index < len(cells)} - {""}

    codes = codes_in("school_code")
    wanted = codes | codes_in("parent_school_code")
    district = District.objects.filter(code=district_code).first()
    schools = {s.code: s for s in School.objects.filter(code__in=wanted)}
    ids = [s.pk for s in schools.values()]
    versions: dict[int, list[SchoolVersion]] = {}
    for version in SchoolVersion.objects.filter(school_id__in=ids).select_related("parent").order_by("valid_from"):
        versions.setdefault(version.school_id, []).append(version)
    stored_rows = AnnualStatistics.objects.filter(school_id__in=ids, year=year)
    if lock:
        # A confirmed import holds the rows it checked until it commits: nobody saves in between.
        stored_rows = stored_rows.select_for_update()
    stored = {s.school_id: s for s in stored_rows}
    previous = {s.school_id: s for s in AnnualStatistics.objects.filter(school_id__in=ids, year=year - 1)}
    return _Context(district, schools, versions, stored, previous, codes - set(schools))


def check_table(
    table: Table,
    *,
    district_code: str,
    year: int,
    reasons: Mapping[str, Mapping[str, str]] | None = None,
    progress: Progress | None = None,
    lock: bool = False,
) -> ImportReport:
    """Check a file against the district's registry and statistics for `year`; write nothing.

    `reasons` are the year-over-year change reasons given in the preview, per school code and
    field; they add to the file's 变动说明 column.
    """
    report = ImportReport(sheet=table.sheet, header_row=table.header_row)
    columns = _columns(table, report)
    report.columns = dict(columns)
    if report.file_errors:
        return report
    context = _load(table, columns, district_code, year, lock=lock)
    checker = _RowChecker(table, columns, context, district_code, year, reasons or {})
    total = len(table.rows)
    for done, (number, cells) in enumerate(table.rows, start=1):
        report.rows.append(checker.check(number, cells))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    return report


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return Decimal(str(a)) == Decimal(str(b))


PROFILE_COLUMNS = {  # SchoolVersion attribute -> column key
    "name": "school_name",
    "school_type": "school_type",
    "parent": "parent_school_code",
    "ownership": "ownership",
    "county_run": "county_run",
    "area_type": "area_type",
}


def _profile_text(attr: str, value: Any) -> str:
    if value is None:
        return ""
    choices = {"school_type": SCHOOL_TYPES, "ownership": OWNERSHIPS, "area_type": AREA_TYPES}.get(attr)
    if choices is not None:
        return choices.get(str(value), str(value))
    if attr == "county_run":
        return "是" if value else "否"
    if attr == "parent":
        return value.code if isinstance(value, School) else str(value)
    return str(value)


class _RowChecker:
    def __init__(
        self,
        table: Table,
        columns: Mapping[str, int],
        context: _Context,
        district_code: str,
        year: int,
        reasons: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.table = table
        self.columns = columns
        self.context = context
        self.district_code = district_code
        self.year = year
        self.reasons = reasons
        self.seen: dict[str, int] = {}
        self.formula_rows: dict[int, dict[int, str]] = {}
        for (row, column), formula in table.formulas.items():
            self.formula_rows.setdefault(row, {})[column] = formula
        self.stat_columns = [f.key for f in STAT_FIELDS if f.key in columns]

    def check(self, number: int, cells: list[Any]) -> RowReport:
        columns, context = self.columns, self.context

        def value(key: str) -> Any:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        line = RowReport(row=number, school_code=text_of(value("school_code")))

        def problem(key: str, message: str, found: str | None = None) -> Problem:
            index = columns.get(key)
            where = self.table.cell(number, index) if index is not None else f"{self.table.sheet}!{number}"
            if found is None:
                found = text_of(value(key)) if index is not None else ""
            return Problem(where, message, found, number, index, key)

        def fail(key: str, message: str, found: str | None = None) -> None:
            error = problem(key, message, found)
            if all((e.where, e.message) != (error.where, error.message) for e in line.errors):
                line.errors.append(error)

        formula_keys = set()
        for index, formula in self.formula_rows.get(number, {}).items():
            key = next((k for k, i in columns.items() if i == index), None)
            if key is not None:
                formula_keys.add(key)
                fail(key, _("单元格是公式:请改为数值(复制后“选择性粘贴 → 数值”)"), found=formula)
        code = line.school_code
        if "school_code" in formula_keys:
            return self._finish(line)
        if not code or not code.isdecimal() or len(code) != 10:
            fail("school_code", _("学校标识码应为 10 位数字"))
            return self._finish(line)
        if code in self.seen:
            fail("school_code", _("学校标识码与第 %(row)s 行重复") % {"row": self.seen[code]})
            return self._finish(line)
        self.seen[code] = number
        row_district = text_of(value("district_code"))
        if row_district and row_district != self.district_code:
            fail("district_code", _("区县代码与导入的区县 %(d)s 不一致") % {"d": self.district_code})
            return self._finish(line)
        row_year = text_of(value("year"))
        if row_year and row_year != str(self.year):
            fail("year", _("学年与导入的学年 %(y)s 不一致") % {"y": self.year})
            return self._finish(line)
        school = context.schools.get(code)
        if school is not None and (context.district is None or school.district_id != context.district.pk):
            fail("school_code", _("该学校属于其他区县"))
            return self._finish(line)

        # The profile: what the file says, checked as school_create / school_change will check it.
        attrs: dict[str, Any] = {}
        name = text_of(value("school_name"))
        if name:
            attrs["name"] = name
        for key, choices in (("school_type", SCHOOL_TYPES), ("ownership", OWNERSHIPS), ("area_type", AREA_TYPES)):
            raw = value(key)
            if raw not in (None, ""):
                parsed = enum_value(raw, choices)
                if parsed is None:
                    fail(key, _("应为以下之一:%(c)s") % {"c": "、".join(choices.values())})
                else:
                    attrs[key] = parsed
        county = value("county_run")
        if county not in (None, ""):
            parsed_bool = yes_no(county)
            if parsed_bool is None:
                fail("county_run", _("应为“是”或“否”"))
            else:
                attrs["county_run"] = parsed_bool
        parent_code = text_of(value("parent_school_code")) or None
        parent: School | None = None
        if parent_code:
            candidate = context.schools.get(parent_code)
            if candidate is not None and context.district is not None and candidate.district_id == context.district.pk:
                parent = candidate
            elif parent_code not in context.new_codes:
                fail("parent_school_code", _("所属学校 %(c)s 不在本区县,请先导入中心校") % {"c": parent_code})
            attrs["parent"] = parent
        elif "parent_school_code" in columns:
            attrs["parent"] = None

        current = version_for_year(context.versions.get(school.pk, []), self.year) if school else None
        line.new_school = school is None
        if current is None:
            if "name" not in attrs or "school_type" not in attrs:
                if school is None:
                    fail("school_name", _("新学校必须填写学校名称和学校类型"))
                else:
                    fail("school_name", _("该校在 %(y)s 学年尚未登记:请填写学校名称和学校类型") % {"y": self.year})
            merged = {"ownership": "public", "county_run": True, "area_type": "urban", "parent": None, **attrs}
        else:
            merged = {attr: getattr(current, attr) for attr in PROFILE_COLUMNS}
            merged.update(attrs)
            for attr in PROFILE_COLUMNS:
                old = getattr(current, attr)
                new = merged[attr]
                if attr == "parent":
                    old_code = old.code if old is not None else None
                    new_code = parent_code if attr in attrs else old_code
                    if old_code != new_code:
                        line.profile_changes["parent_school_code"] = [old_code or "", new_code or ""]
                elif old != new:
                    line.profile_changes[PROFILE_COLUMNS[attr]] = [_profile_text(attr, old), _profile_text(attr, new)]
        line.school_name = str(merged.get("name") or (current.name if current else ""))
        school_type = merged.get("school_type")
        has_parent = merged.get("parent") is not None or (parent_code is not None and "parent" in attrs)
        if school_type == "teaching_point" and not has_parent and not line.errors:
            fail("parent_school_code", _("教学点必须填写所属学校(中心校)"))
        elif school_type and school_type != "teaching_point" and has_parent:
            fail("parent_school_code", _("只有教学点需要填写所属学校"))
        if parent_code and parent_code == code:
            fail("parent_school_code", _("教学点不能隶属于自身"))
        profile_ok = not line.errors

        # The statistics: the file's columns over the stored values (absent columns are kept).
        stored = context.stored.get(school.pk) if school else None
        previous = context.previous.get(school.pk) if school else None
        raw_file = {key: value(key) for key in self.stat_columns}
        has_values = any(v not in (None, "") for v in raw_file.values())
        raw = {**services.stat_values(stored), **raw_file} if stored is not None else raw_file
        reason = text_of(value("change_reason"))
        reasons = dict.fromkeys(STAT_KEYS, reason) if reason else {}
        reasons.update({k: v for k, v in self.reasons.get(code, {}).items() if v and v.strip()})
        version = None
        prefetched = None
        check = CheckResult()
        if stored is None and not has_values:
            values: dict[str, Any] = {}
        elif profile_ok and school_type in SCHOOL_TYPES:
            version = SchoolVersion(
                school=school,
                valid_from=self.year,
                name=line.school_name,
                school_type=school_type,
                closed=bool(current.closed) if current else False,
            )
            prefetched = services.Prefetched(version=version, previous=previous, stored=stored)
            values, check = services.statistics_check(
                school=school or School(code=code), year=self.year, raw=raw, reasons=reasons, prefetched=prefetched
            )
            for key, messages in check.errors.items():
                for message in messages:
                    fail(key, message)
            for key, message in check.warnings.items():
                line.warnings.append(problem(key, message))
        else:
            values, check = services.parse_statistics(raw)
            for key, messages in check.errors.items():
                for message in messages:
                    fail(key, message)
        if values and not any(key in check.errors for key in STAT_KEYS):
            old_values = services.stat_values(stored)
            for key in STAT_KEYS:
                old, new = old_values.get(key), values.get(key)
                if not _same(old, new):
                    line.changes[key] = [_jsonable(old), _jsonable(new)]
            if stored is not None and line.changes and not stored.editable:
                for key in line.changes:
                    fail(key, _("该年度数据已提交或已审核,不能修改;如需修改请先由教育局退回"))
        line.confirms = bool(stored is not None and stored.unconfirmed and stored.editable and has_values)
        save = bool(line.changes) or (stored is None and has_values)
        line.plan = _Plan(
            school=school,
            attrs=attrs,
            parent_code=parent_code if parent is None and parent_code in context.new_codes else None,
            version=version,
            profile_changed=school is not None and (current is None or bool(line.profile_changes)),
            raw=raw,
            reasons=reasons,
            prefetched=prefetched,
            stored=stored,
            save_statistics=save,
        )
        if not line.errors:
            if line.new_school or (stored is None and has_values):
                line.outcome = "created"
            elif line.changes or line.profile_changes or line.confirms:
                line.outcome = "updated"
            else:
                line.outcome = "unchanged"
        return self._finish(line)

    @staticmethod
    def _finish(line: RowReport) -> RowReport:
        if line.errors:
            line.outcome = "error"
            line.warnings = []  # a row with errors is fixed first; its warnings would only add noise
        return line


# --- applying --------------------------------------------------------------------------------

STALE_PREVIEW = gettext_lazy("数据在预览之后已有变动(他人修改或另一次导入),请重新检查后再确认")


def import_rows(
    table: Table,
    *,
    district_code: str,
    year: int,
    user: User | None,
    dry_run: bool = False,
    reasons: Mapping[str, Mapping[str, str]] | None = None,
    expected_fingerprint: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the table and, when it is ready (no errors, every jump explained), apply it,
    all-or-nothing, through schools.services (recorded as imports; the balance is marked stale
    and recomputed after commit).

    `expected_fingerprint` is the preview's: if the data changed since, nothing is applied.
    """
    with transaction.atomic():
        report = check_table(table, district_code=district_code, year=year, reasons=reasons, lock=True)
        if dry_run or not report.ready:
            return report
        if expected_fingerprint is not None and report.fingerprint != expected_fingerprint:
            report.file_errors.append(Problem("", str(STALE_PREVIEW)))
            return report
        _apply(report, district_code=district_code, year=year, user=user, progress=progress)
        if not report.ok:
            transaction.set_rollback(True)
        else:
            report.applied = True
    return report


def _apply(
    report: ImportReport, *, district_code: str, year: int, user: User | None, progress: Progress | None
) -> None:
    district = District.objects.filter(code=district_code).first() or services.district_get_or_create(
        code=district_code
    )
    created: dict[str, School] = {}
    pending = [r for r in report.rows if r.plan is not None and r.plan.school is None]
    # New schools: a new teaching point's new 中心校 first.
    while pending:
        ready = [r for r in pending if r.plan is not None and (not r.plan.parent_code or r.plan.parent_code in created)]
        if not ready:
            for line in pending:
                line.errors.append(Problem(report.where(line.row, "parent_school_code"), _("所属学校无法先于本校登记")))
            return
        for line in ready:
            pending.remove(line)
            plan = line.plan
            assert plan is not None
            attrs = {"parent": None, **plan.attrs}
            if plan.parent_code:
                attrs["parent"] = created[plan.parent_code]
            with _refusals(report, line):
                plan.school = services.school_create(
                    district=district, code=line.school_code, year=year, user=user, **attrs
                )
                created[line.school_code] = plan.school
    _apply_rows(report, year=year, user=user, created=created, progress=progress)


def _apply_rows(
    report: ImportReport, *, year: int, user: User | None, created: Mapping[str, School], progress: Progress | None
) -> None:
    saves: list[tuple[RowReport, services.SaveItem]] = []
    for line in report.rows:
        plan = line.plan
        if plan is None or plan.school is None:
            continue
        school = plan.school
        with _refusals(report, line):
            if plan.profile_changed and not line.new_school:
                attrs = dict(plan.attrs)
                if plan.parent_code:
                    attrs["parent"] = created[plan.parent_code]
                services.school_change(school=school, year=year, user=user, **attrs)
            if plan.save_statistics and plan.prefetched is not None:
                saves.append((line, services.SaveItem(school, plan.raw, plan.reasons, plan.prefetched)))
            elif line.confirms and plan.stored is not None:
                services.statistics_confirm(stats=plan.stored, user=user)
    if not report.ok:
        return
    # The statistics of the whole file in a few bulk queries, through the same checks.
    try:
        services.statistics_save_many(
            items=[item for _line, item in saves], year=year, user=user, action=StatisticsEvent.Action.IMPORT
        )
    except services.ItemRejected as rejected:
        line = saves[rejected.index][0]
        with _refusals(report, line):
            raise rejected.error from rejected
    if progress is not None:
        progress(len(report.rows), len(report.rows))


@contextmanager
def _refusals(report: ImportReport, line: RowReport) -> Iterator[None]:
    """A service's refusal becomes the row's error (the caller then rolls everything back)."""
    try:
        yield
        return
    except services.StatisticsRejected as rejected:
        for key, messages in rejected.errors.items():
            for message in messages:
                line.errors.append(Problem(report.where(line.row, key), message, row=line.row, key=key))
        for key, message in rejected.warnings.items():
            line.errors.append(Problem(report.where(line.row, key), message, row=line.row, key=key))
    except services.StaleRevision as stale:
        line.errors.append(Problem(report.where(line.row, "school_code"), stale.summary, row=line.row))
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field_name, texts in error.message_dict.items():
                key = PROFILE_COLUMNS.get(field_name, field_name)
                line.errors.append(Problem(report.where(line.row, key), " ".join(texts), row=line.row, key=key))
        else:
            for text in error.messages:
                line.errors.append(Problem(report.where(line.row, "school_code"), text, row=line.row))
    line.outcome = "error"


# --- the command line's report ----------------------------------------------------------------


def format_report(report: ImportReport) -> Iterable[str]:
    for problem in report.file_errors:
        yield _("文件错误:%(m)s") % {"m": problem.text()}
    for problem in report.warnings:
        yield _("提示:%(m)s") % {"m": problem.text()}
    labels = {"created": _("新增"), "updated": _("更新"), "unchanged": _("无变化"), "error": _("错误")}
    for row in report.rows:
        label = labels.get(row.outcome, row.outcome)
        if row.warnings:
            label += _("(需填写变动说明)")
        yield f"第 {row.row} 行 {row.school_code or '-'}: {label}"
        for message in row.messages:
            yield f"    {message}"
