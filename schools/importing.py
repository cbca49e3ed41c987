"""Reading the bureau's statistics file (CSV or XLSX, data-dictionary.md format) and applying it.

`read_table` turns a file into rows of raw cells with their spreadsheet coordinates;
`import_rows` applies them through the same services and validation as the browser forms,
all-or-nothing: a file with any error saves nothing. Every message names the cell
(`Sheet1!H12`), the value found and what was expected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from core.models import User
from schools import services
from schools.fields import AREA_TYPES, OWNERSHIPS, SCHOOL_FIELDS, SCHOOL_TYPES, STAT_FIELDS
from schools.models import AnnualStatistics, District, School, StatisticsEvent
from schools.selectors import school_version

EXTRA_COLUMNS = {"year": "学年", "change_reason": "变动说明"}
# header text (key or Chinese label) -> key
HEADER_KEYS: dict[str, str] = {}
for _key, _label in [*SCHOOL_FIELDS.items(), *((f.key, f.label) for f in STAT_FIELDS), *EXTRA_COLUMNS.items()]:
    HEADER_KEYS[_key] = _key
    HEADER_KEYS[_label] = _key
# The data dictionary's own wording of two teacher columns (the labels above say 职称 and drop
# the bracket), given per section.
for _section, _prefix in (("primary", "小学"), ("junior", "初中")):
    HEADER_KEYS[f"{_prefix}中级及以上专业技术职务专任教师数"] = f"mid_title_teachers_{_section}"
    HEADER_KEYS[f"{_prefix}体育、艺术(音乐、美术)专任教师数"] = f"pe_art_teachers_{_section}"
# Labels as printed in the bureau's sheet often carry the unit: "教学及辅助用房面积(m²)", typed
# with full-width brackets and colons and stray spaces ("其中: 室内体育用房面积").
_FULL_WIDTH = str.maketrans({"\uff08": "(", "\uff09": ")", "\uff1a": ":", "\u3000": " "})
_UNIT_SUFFIX = re.compile(r"\s*\([^()]*\)$")
MAX_ROWS = 20000


class ImportFileError(Exception):
    """The file as a whole cannot be read (not a spreadsheet, no header …)."""


@dataclass
class Table:
    sheet: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells)

    def cell(self, row: int, column: int) -> str:
        return f"{self.sheet}!{get_column_letter(column + 1)}{row}"


def _normalise_header(text: Any) -> str:
    value = "" if text is None else str(text).strip().lstrip("\ufeff").strip()
    if value in HEADER_KEYS:
        return value
    compact = re.sub(r"\s+", "", value.translate(_FULL_WIDTH))
    if compact not in HEADER_KEYS:
        compact = _UNIT_SUFFIX.sub("", compact)  # drop a trailing unit: "(m²)", "(元)"
    return compact if compact in HEADER_KEYS else value


def read_table(path: Path) -> Table:
    """Read the first sheet of an XLSX file, or a CSV file (UTF-8 with or without BOM)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("CSV 文件应为 UTF-8 编码 / CSV must be UTF-8")) from exc
        reader = list(csv.reader(io.StringIO(text)))
        if not reader:
            raise ImportFileError(_("文件为空 / The file is empty"))
        rows = [(i + 2, r) for i, r in enumerate(reader[1:]) if any(c.strip() for c in r)]
        return Table(sheet=path.name, headers=[_normalise_header(h) for h in reader[0]], rows=rows[: MAX_ROWS + 1])
    if suffix in (".xlsx", ".xlsm"):
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise ImportFileError(_("无法读取该 Excel 文件:%(e)s / Cannot read this workbook") % {"e": exc}) from exc
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header = next(iterator, None)
        if header is None:
            raise ImportFileError(_("文件为空 / The file is empty"))
        rows = []
        for number, cells in enumerate(iterator, start=2):
            if any(c not in (None, "") for c in cells):
                rows.append((number, list(cells)))
            if len(rows) > MAX_ROWS:
                break
        workbook.close()
        return Table(sheet=sheet.title, headers=[_normalise_header(h) for h in header], rows=rows)
    raise ImportFileError(_("只支持 CSV 或 XLSX 文件 / Only CSV or XLSX files are accepted"))


@dataclass
class RowReport:
    row: int
    school_code: str
    outcome: str = ""  # created / updated / unchanged / error
    messages: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowReport] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(r.outcome != "error" for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(r.messages) for r in self.rows if r.outcome == "error")


def _yes_no(value: Any) -> bool | None:
    text = str(value).strip().lower() if value is not None else ""
    if text in ("是", "yes", "y", "true", "1"):
        return True
    if text in ("否", "no", "n", "false", "0"):
        return False
    return None


def _enum(value: Any, choices: dict[str, str]) -> str | None:
    text = "" if value is None else str(value).strip()
    if text in choices:
        return text
    by_label = {label: key for key, label in choices.items()}
    # Accept the short labels too ("初中" for 初级中学, "教学点" for 小学教学点).
    by_label.update(
        {"初中": "junior", "教学点": "teaching_point", "九年一贯制": "nine_year", "十二年一贯制": "twelve_year"}
        if choices is SCHOOL_TYPES
        else {}
    )
    return by_label.get(text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def import_rows(
    table: Table,
    *,
    district_code: str,
    year: int,
    user: User | None,
    dry_run: bool = False,
) -> ImportReport:
    """Apply a table to the registry and statistics, all-or-nothing.

    Each row: create the school if new (or record a changed profile from `year`), then save its
    statistics through services.statistics_save. Any error anywhere rolls the whole file back.
    """
    report = ImportReport()
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        key = HEADER_KEYS.get(header)
        if key is None:
            if header:
                report.warnings.append(
                    _("未识别的列“%(h)s”(%(cell)s)已忽略") % {"h": header, "cell": table.cell(1, index)}
                )
            continue
        if key in columns:
            report.file_errors.append(_("列“%(h)s”重复出现") % {"h": header})
        columns[key] = index
    for required in ("school_code",):
        if required not in columns:
            report.file_errors.append(
                _("缺少必需的列:%(c)s(%(label)s)") % {"c": required, "label": SCHOOL_FIELDS[required]}
            )
    if len(table.rows) > MAX_ROWS:
        report.file_errors.append(_("行数超过上限 %(n)s") % {"n": MAX_ROWS})
    if not table.rows:
        report.file_errors.append(_("文件中没有数据行"))
    if report.file_errors:
        return report

    def value(cells: list[Any], key: str) -> Any:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    seen: dict[str, int] = {}
    with transaction.atomic():
        district = District.objects.filter(code=district_code).first()
        if district is None:
            district = services.district_get_or_create(code=district_code)
        for number, cells in table.rows:
            code = _text(value(cells, "school_code"))
            line = RowReport(row=number, school_code=code)
            report.rows.append(line)

            def fail(
                key: str, message: str, line: RowReport = line, cells: list[Any] = cells, number: int = number
            ) -> None:
                index = columns.get(key)
                where = table.cell(number, index) if index is not None else f"{table.sheet}!{number}"
                found = _text(value(cells, key)) if index is not None else ""
                line.messages.append(f"{where}: {message}" + (_("(当前值:“%(v)s”)") % {"v": found} if found else ""))
                line.outcome = "error"

            if not code or not code.isdigit() or len(code) != 10:
                fail("school_code", _("学校标识码应为 10 位数字"))
                continue
            if code in seen:
                fail("school_code", _("学校标识码与第 %(row)s 行重复") % {"row": seen[code]})
                continue
            seen[code] = number
            row_district = _text(value(cells, "district_code"))
            if row_district and row_district != district_code:
                fail("district_code", _("区县代码与导入参数 %(d)s 不一致") % {"d": district_code})
                continue
            row_year = _text(value(cells, "year"))
            if row_year and row_year != str(year):
                fail("year", _("学年与导入参数 %(y)s 不一致") % {"y": year})
                continue
            school = _apply_school(district, code, year, cells, value, fail, user)
            if school is None:
                continue
            raw = {f.key: value(cells, f.key) for f in STAT_FIELDS if f.key in columns}
            existing = AnnualStatistics.objects.filter(school=school, year=year).first()
            # Columns absent from the file keep their saved values.
            merged = {**services.stat_values(existing), **raw} if existing is not None else raw
            reason = _text(value(cells, "change_reason"))
            reasons = {f.key: reason for f in STAT_FIELDS} if reason else {}
            try:
                result = services.statistics_save(
                    school=school,
                    year=year,
                    raw=merged,
                    reasons=reasons,
                    user=user,
                    action=StatisticsEvent.Action.IMPORT,
                )
            except services.StatisticsRejected as rejected:
                for key, messages in rejected.errors.items():
                    for message in messages:
                        fail(key, message)
                for key, message in rejected.warnings.items():
                    fail(key, message + _("(可在“变动说明”列填写原因)"))
                continue
            except Exception as exc:  # ValidationError from a locked record, with its message
                fail("school_code", " ".join(getattr(exc, "messages", [str(exc)])))
                continue
            if line.outcome != "created":
                line.outcome = "created" if result.created else ("updated" if result.changes else "unchanged")
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    return report


def _apply_school(
    district: District,
    code: str,
    year: int,
    cells: list[Any],
    value: Any,
    fail: Any,
    user: User | None,
) -> School | None:
    """Find or register the row's school; record a changed profile from `year` on."""
    attrs: dict[str, Any] = {}
    name = _text(value(cells, "school_name"))
    if name:
        attrs["name"] = name
    for key, choices in (("school_type", SCHOOL_TYPES), ("ownership", OWNERSHIPS), ("area_type", AREA_TYPES)):
        raw = value(cells, key)
        if raw not in (None, ""):
            parsed = _enum(raw, choices)
            if parsed is None:
                fail(key, _("应为以下之一:%(c)s") % {"c": "、".join(choices.values())})
                return None
            attrs[key] = parsed
    county = value(cells, "county_run")
    if county not in (None, ""):
        parsed_bool = _yes_no(county)
        if parsed_bool is None:
            fail("county_run", _("应为“是”或“否”"))
            return None
        attrs["county_run"] = parsed_bool
    parent_code = _text(value(cells, "parent_school_code"))
    if parent_code:
        parent = School.objects.filter(code=parent_code, district=district).first()
        if parent is None:
            fail("parent_school_code", _("所属学校 %(c)s 不在本区县,请先导入中心校") % {"c": parent_code})
            return None
        attrs["parent"] = parent
    school = School.objects.filter(code=code).first()
    try:
        if school is None:
            if "name" not in attrs or "school_type" not in attrs:
                fail("school_name", _("新学校必须填写学校名称和学校类型"))
                return None
            attrs.setdefault("parent", None)
            return services.school_create(district=district, code=code, year=year, user=user, **attrs)
        if school.district_id != district.pk:
            fail("school_code", _("该学校属于其他区县"))
            return None
        current = school_version(school, year)
        if current is None or any(getattr(current, k) != v for k, v in attrs.items()):
            services.school_change(school=school, year=year, user=user, **attrs)
    except Exception as exc:  # ValidationError: show its message on the row
        messages = getattr(exc, "message_dict", None)
        if messages:
            for key, texts in messages.items():
                fail(key, " ".join(texts))
        else:
            fail("school_code", " ".join(getattr(exc, "messages", [str(exc)])))
        return None
    return school


def format_report(report: ImportReport) -> Iterable[str]:
    for message in report.file_errors:
        yield _("文件错误:%(m)s") % {"m": message}
    for message in report.warnings:
        yield _("提示:%(m)s") % {"m": message}
    labels = {"created": _("新增"), "updated": _("更新"), "unchanged": _("无变化"), "error": _("错误")}
    for row in report.rows:
        yield f"第 {row.row} 行 {row.school_code or '-'}: {labels.get(row.outcome, row.outcome)}"
        for message in row.messages:
            yield f"    {message}"
