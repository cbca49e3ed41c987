"""The statistics file at the edges (data-dictionary.md): its columns, and reading and writing it safely.

Pure: no database. `read_table` turns the bytes of an upload (XLSX or CSV) into a `Table` of raw
cells with their spreadsheet coordinates, after refusing what must never reach openpyxl (not a
spreadsheet, a password-protected or legacy file, a zip bomb, an XML document type declaration)
and with limits on rows and columns. Formula cells and merged header cells are noted on the table
so that the checker can name them: a formula is a cell stored as a formula, not text that begins
with "=" (a school may be named "=HYPERLINK(…)"; its name is text and is read as typed).
`write_workbook` writes the same format (template and export); `marked_copy` returns a copy of an
upload with the bad cells filled and commented. Both write through core.cells, so no text comes
out as a live formula.

Every message is a Chinese source string for gettext.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation

from core import cells
from schools.fields import AREA_TYPES, OWNERSHIPS, SCHOOL_FIELDS, SCHOOL_TYPES, STAT_FIELD_BY_KEY, STAT_FIELDS

# --- limits ------------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # the file as uploaded
MAX_ROWS = 20000  # data rows (a county has at most a few thousand schools)
MAX_COLUMNS = 200
MAX_HEADER_SCAN = 10  # the header may sit below a title row or two
MAX_CELL_CHARS = 2000
# Zip (XLSX) limits, checked on the archive's directory before anything is decompressed. Python's
# zipfile never returns more bytes than an entry declares, so the declared sizes are a real bound.
MAX_ZIP_ENTRIES = 1000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100  # uncompressed ÷ compressed, for entries above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
XML_PROLOG_BYTES = 64 * 1024

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx
ZIP_MAGIC = b"PK\x03\x04"

# --- the columns -------------------------------------------------------------------------------

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

# The columns of the template and the export, in order.
PROFILE_KEYS = (
    "school_code",
    "school_name",
    "school_type",
    "parent_school_code",
    "ownership",
    "county_run",
    "area_type",
)
COLUMN_KEYS: tuple[str, ...] = (
    "district_code",
    "year",
    *PROFILE_KEYS,
    *(f.key for f in STAT_FIELDS),
    "change_reason",
)
ENUMS: dict[str, dict[str, str]] = {"school_type": SCHOOL_TYPES, "ownership": OWNERSHIPS, "area_type": AREA_TYPES}
YES, NO = "是", "否"


def normalise_header(text: Any) -> str:
    """A header cell as a key of HEADER_KEYS when it is one (units, full-width, spaces), else as typed."""
    value = "" if text is None else str(text).strip().lstrip("\ufeff").strip()
    if value in HEADER_KEYS:
        return value
    compact = re.sub(r"\s+", "", value.translate(_FULL_WIDTH))
    if compact not in HEADER_KEYS:
        compact = _UNIT_SUFFIX.sub("", compact)  # drop a trailing unit: "(m²)", "(元)"
    return compact if compact in HEADER_KEYS else value


def column_header(key: str) -> str:
    """The header the template writes: the Chinese label with its unit, e.g. 教学及辅助用房面积(m²)."""
    if key in STAT_FIELD_BY_KEY:
        spec = STAT_FIELD_BY_KEY[key]
        return f"{spec.label}({spec.unit})"
    if key == "county_run":
        return f"{SCHOOL_FIELDS[key]}(是/否)"
    return SCHOOL_FIELDS.get(key) or EXTRA_COLUMNS[key]


def _is_header(row: Sequence[Any]) -> bool:
    keys = {HEADER_KEYS.get(normalise_header(c)) for c in row if isinstance(c, str)}
    keys.discard(None)
    return "school_code" in keys or len(keys) >= 3


# --- reading -----------------------------------------------------------------------------------


class FileRejected(Exception):  # noqa: N818 - a domain outcome: the file as a whole cannot be used
    """The file as a whole cannot be read (not a spreadsheet, protected, too big, no header …)."""


@dataclass
class Table:
    """The data sheet of an upload: header texts and the non-empty rows with their numbers.

    `rows` holds (spreadsheet row number, cells); `formulas` maps (row number, column index) to
    the formula text of a formula cell (whose cell value is then None); `merged_header` lists merged
    ranges that touch the header row.
    """

    sheet: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    header_row: int = 1
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    merged_header: list[str] = field(default_factory=list)
    kind: str = "xlsx"

    def cell(self, row: int, column: int) -> str:
        return f"{self.sheet}!{get_column_letter(column + 1)}{row}"


def sniff(data: bytes, name: str) -> str:
    """'xlsx' or 'csv' from the content (the name only tells CSV from other text), or FileRejected."""
    if not data:
        raise FileRejected(_("文件为空"))
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise FileRejected(
                _("该工作簿设置了打开密码,无法读取:请在 Excel 中取消密码(文件→信息→保护工作簿)后重新上传")
            )
        raise FileRejected(_("这是旧版 Excel 97-2003(.xls)文件:请在 Excel 中“另存为”.xlsx 后上传"))
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        raise FileRejected(_("文件已损坏,或不是 Excel 工作簿(.xlsx):请用 Excel 打开确认后重新保存"))
    if lower.endswith(".csv"):
        return "csv"
    raise FileRejected(_("不是电子表格文件:只接受 CSV 或 XLSX 文件(Excel 工作簿)"))


def read_table(data: bytes, name: str) -> Table:
    """Read an upload: the first sheet with a recognisable header (XLSX), or a CSV file."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileRejected(
            _("文件过大(%(size)s MB),上限为 %(max)s MB") % {"size": _mb(len(data)), "max": _mb(MAX_UPLOAD_BYTES)}
        )
    kind = sniff(data, name)
    if kind == "csv":
        return _read_csv(data, name)
    return _read_xlsx(data)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open an XLSX as a zip and refuse zip bombs and unsafe XML before openpyxl sees it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(_("文件已损坏,无法作为 Excel 工作簿打开")) from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRejected(_("文件结构异常(压缩包内 %(n)s 个条目),拒绝读取") % {"n": len(entries)})
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FileRejected(
            _("文件解压后过大(%(size)s MB,上限 %(max)s MB),疑似压缩炸弹,拒绝读取")
            % {"size": _mb(total), "max": _mb(MAX_UNCOMPRESSED_BYTES)}
        )
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise FileRejected(
                _("文件压缩比异常(%(name)s 解压后放大 %(ratio)s 倍),疑似压缩炸弹,拒绝读取")
                % {"name": entry.filename, "ratio": entry.file_size // max(entry.compress_size, 1)}
            )
        if entry.flag_bits & 0x1:
            raise FileRejected(_("该工作簿已加密,无法读取:请取消密码后重新上传"))
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise FileRejected(_("这不是 Excel 工作簿(.xlsx):WPS 或其他格式请先“另存为”Excel 工作簿"))
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(entry) as stream:
                head = stream.read(XML_PROLOG_BYTES)
            if _unsafe_prolog(head):
                raise FileRejected(_("文件中含有不安全的 XML 声明(DOCTYPE/ENTITY),拒绝读取"))
    return archive


_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _unsafe_prolog(head: bytes) -> bool:
    """A document type declaration (entity expansion) before the root element, or no root in sight."""
    text = head.replace(b"\x00", b"")  # UTF-16 text reads as ASCII for this test
    match = _ROOT_START.search(text)
    prolog = text[: match.start()] if match else text
    return b"<!doctype" in prolog.lower() or b"<!entity" in prolog.lower() or (match is None and len(head) > 0)


_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\"")


def _merged_ranges(archive: zipfile.ZipFile, path: str) -> list[str]:
    """Merged ranges of a worksheet (the read-only reader does not keep them)."""
    try:
        data = archive.read(path.lstrip("/"))
    except KeyError:
        return []
    return [m.group(1).decode() for m in _MERGE_REF.finditer(data)]


def _formula_text(value: Any) -> str:
    """The formula of a cell stored as a formula (data_type "f", read with data_only=False)."""
    if isinstance(value, str):
        return value if value.startswith("=") else f"={value}"
    text = getattr(value, "text", None)  # ArrayFormula
    if isinstance(text, str):
        return text if text.startswith("=") else f"={text}"
    return "=TABLE()"  # DataTableFormula


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any], set[int]]]:
    """Each row of a read-only sheet (numbered from 1): its values, formulas as their text, and the
    column indexes of the formula cells. A formula is a cell stored as one; text that merely
    begins with "=" (a school named "=HYPERLINK(…)") is a value like any other."""
    for number, row in enumerate(sheet.iter_rows(), start=1):
        values: list[Any] = []
        formulas: set[int] = set()
        for index, cell in enumerate(row):
            if cell.data_type == "f":
                formulas.add(index)
                values.append(_formula_text(cell.value))
            else:
                values.append(cell.value)
        yield number, values, formulas


def _read_xlsx(data: bytes) -> Table:
    archive = check_zip(data)
    try:
        # data_only=False: a formula cell gives its formula, so it can be refused by name
        # rather than silently taking a cached result that may be stale or missing.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ParseError, InvalidFileException …)
        raise FileRejected(_("文件已损坏,无法读取其内容:请用 Excel 打开确认后重新保存")) from exc
    try:
        return _first_data_sheet(workbook, archive)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(_("文件已损坏,无法读取其内容:请用 Excel 打开确认后重新保存")) from exc
    finally:
        workbook.close()


def _first_data_sheet(workbook: Any, archive: zipfile.ZipFile) -> Table:
    seen: list[str] = []
    for sheet in workbook.worksheets:
        if getattr(sheet, "sheet_state", "visible") != "visible" or not hasattr(sheet, "iter_rows"):
            continue
        seen.append(sheet.title)
        table = _read_sheet(sheet)
        if table is not None:
            table.merged_header = [
                ref
                for ref in _merged_ranges(archive, getattr(sheet, "_worksheet_path", ""))
                if _touches_row(ref, table.header_row)
            ]
            return table
    raise FileRejected(
        _("未找到表头:工作表 %(sheets)s 的前 %(n)s 行中没有“学校标识码”等列名。请使用本系统下载的模板")
        % {"sheets": "、".join(f"“{s}”" for s in seen) or "-", "n": MAX_HEADER_SCAN}
    )


def _touches_row(ref: str, row: int) -> bool:
    _min_col, min_row, _max_col, max_row = range_boundaries(ref)
    return min_row is not None and max_row is not None and min_row <= row <= max_row


def _read_sheet(sheet: Any) -> Table | None:
    """The table of one sheet, or None when its first rows hold no recognisable header."""
    header: list[Any] | None = None
    header_row = 0
    rows: list[tuple[int, list[Any]]] = []
    formulas: dict[tuple[int, int], str] = {}
    # Forget the declared used range: rows then come as long as their last cell, not padded to
    # a range that a styled cell far to the right (or a hostile file) may stretch to XFD.
    sheet.reset_dimensions()
    for number, row, formula_columns in _sheet_rows(sheet):
        if header is None:
            if number > MAX_HEADER_SCAN:
                return None
            if _is_header(row):
                header, header_row = _trimmed(row), number
                if len(header) > MAX_COLUMNS:
                    raise FileRejected(_("列数过多:表头超过 %(n)s 列") % {"n": MAX_COLUMNS})
            continue
        values = _trimmed(row)
        if not values:
            continue
        if len(values) > MAX_COLUMNS:
            raise FileRejected(_("列数过多:第 %(row)s 行超过 %(n)s 列") % {"row": number, "n": MAX_COLUMNS})
        if len(rows) >= MAX_ROWS:
            raise FileRejected(_("行数过多:超过 %(n)s 行数据,请分批导入") % {"n": MAX_ROWS})
        for index, value in enumerate(values):
            if index in formula_columns:
                formulas[(number, index)] = value
                values[index] = None
            elif isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                values[index] = value[:MAX_CELL_CHARS]
        rows.append((number, values))
    if header is None:
        return None
    return Table(
        sheet=sheet.title,
        headers=[normalise_header(h) for h in header],
        rows=rows,
        header_row=header_row,
        formulas=formulas,
        kind="xlsx",
    )


def _trimmed(row: Sequence[Any]) -> list[Any]:
    """The cells up to the last one with a value (empty strings count as empty)."""
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return list(row[:end])


def _decode_csv(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            _("CSV 文件应为 UTF-8 编码(可能是 GBK):请在 Excel 中“另存为 → CSV UTF-8(逗号分隔)”后上传")
        ) from exc


def csv_rows(data: bytes) -> list[list[str]]:
    """All rows of a CSV upload (comma- or tab-separated), as text."""
    text = _decode_csv(data)
    if "\x00" in text:
        raise FileRejected(_("不是文本格式的 CSV 文件"))
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise FileRejected(_("CSV 文件格式错误:%(e)s") % {"e": exc}) from exc


def _read_csv(data: bytes, name: str) -> Table:
    rows = csv_rows(data)
    if not rows:
        raise FileRejected(_("文件为空"))
    header_index = next((i for i, r in enumerate(rows[:MAX_HEADER_SCAN]) if _is_header(r)), None)
    if header_index is None:
        raise FileRejected(
            _("未找到表头:前 %(n)s 行中没有“学校标识码”等列名。请使用本系统下载的模板") % {"n": MAX_HEADER_SCAN}
        )
    header = rows[header_index]
    if len(header) > MAX_COLUMNS:
        raise FileRejected(_("列数过多:表头超过 %(n)s 列") % {"n": MAX_COLUMNS})
    body: list[tuple[int, list[Any]]] = []
    for number, line in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(c.strip() for c in line):
            continue
        if len(line) > MAX_COLUMNS:
            raise FileRejected(_("列数过多:第 %(row)s 行超过 %(n)s 列") % {"row": number, "n": MAX_COLUMNS})
        if len(body) >= MAX_ROWS:
            raise FileRejected(_("行数过多:超过 %(n)s 行数据,请分批导入") % {"n": MAX_ROWS})
        body.append((number, [c[:MAX_CELL_CHARS] for c in line]))
    return Table(
        sheet=name,
        headers=[normalise_header(h) for h in header],
        rows=body,
        header_row=header_index + 1,
        kind="csv",
    )


# --- cell values -------------------------------------------------------------------------------


def text_of(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def yes_no(value: Any) -> bool | None:
    text = text_of(value).lower()
    if text in ("是", "yes", "y", "true", "1"):
        return True
    if text in ("否", "no", "n", "false", "0"):
        return False
    return None


# Short forms a bureau's sheet uses for the school types (初中 for 初级中学, 教学点 for 小学教学点).
TYPE_ALIASES = {"初中": "junior", "教学点": "teaching_point", "九年一贯制": "nine_year", "十二年一贯制": "twelve_year"}


def enum_value(value: Any, choices: Mapping[str, str]) -> str | None:
    text = text_of(value)
    if text in choices:
        return text
    by_label = {label: key for key, label in choices.items()}
    if choices is SCHOOL_TYPES:
        by_label.update(TYPE_ALIASES)
    return by_label.get(text)


# --- writing -----------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006", bold=True)


@dataclass(frozen=True)
class SheetSpec:
    """An extra sheet: a title and rows of plain values (the first row is the header)."""

    title: str
    rows: list[list[Any]]
    number_format: str = "0.00"


def write_workbook(
    rows: Iterable[Mapping[str, Any]],
    *,
    sheet_title: str,
    notes: Sequence[str] = (),
    extra_sheets: Sequence[SheetSpec] = (),
    blank_rows: int = 0,
) -> bytes:
    """The statistics sheet (COLUMN_KEYS, Chinese headers with units) with drop-down lists for the
    enumerations and number checks on the figures, then a notes sheet and any extra sheets.

    `rows` are dicts of COLUMN_KEYS to plain values (enumerations as Chinese labels, county_run
    as 是/否); `blank_rows` more rows get the drop-downs for new schools.
    """
    workbook = cells.workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append([column_header(k) for k in COLUMN_KEYS])
    for index, key in enumerate(COLUMN_KEYS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.fill = HEADER_FILL
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = 12 if key in STAT_FIELD_BY_KEY else 14
    sheet.column_dimensions[get_column_letter(COLUMN_KEYS.index("school_name") + 1)].width = 26
    sheet.row_dimensions[1].height = 45
    count = 0
    for row in rows:
        sheet.append([_cell_value(k, row.get(k)) for k in COLUMN_KEYS])
        count += 1
    last = max(count + 1 + blank_rows, 2)
    text_columns = ("district_code", "school_code", "parent_school_code")
    for key in text_columns:
        letter = get_column_letter(COLUMN_KEYS.index(key) + 1)
        for (cell,) in sheet[f"{letter}2:{letter}{last}"]:
            cell.number_format = "@"  # codes are text: no scientific notation, no lost zeros
    _add_validations(sheet, last)
    sheet.freeze_panes = sheet.cell(row=2, column=COLUMN_KEYS.index("school_name") + 2)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMN_KEYS))}{max(count + 1, 1)}"
    if notes:
        info = workbook.create_sheet(_("填表说明"))
        info.column_dimensions["A"].width = 110
        for line in notes:
            info.append([line])
    for spec in extra_sheets:
        extra = workbook.create_sheet(spec.title[:31])
        for values in spec.rows:
            extra.append(values)
        for cell in extra[1] if spec.rows else ():
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
        for column in extra.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, float):
                    cell.number_format = spec.number_format
    return cells.to_bytes(workbook)


def _cell_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _add_validations(sheet: Any, last: int) -> None:
    def column(key: str) -> str:
        letter = get_column_letter(COLUMN_KEYS.index(key) + 1)
        return f"{letter}2:{letter}{last}"

    for key, choices in ENUMS.items():
        rule = DataValidation(type="list", formula1='"' + ",".join(choices.values()) + '"', allow_blank=True)
        rule.error = _("请从下拉列表中选择:%(c)s") % {"c": "、".join(choices.values())}
        rule.errorTitle = _("取值不在列表中")
        rule.add(column(key))
        sheet.add_data_validation(rule)
    county = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    county.add(column("county_run"))
    sheet.add_data_validation(county)
    for integer in (True, False):
        keys = [f.key for f in STAT_FIELDS if f.integer is integer]
        rule = DataValidation(
            type="whole" if integer else "decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True
        )
        rule.error = _("应为不小于 0 的整数") if integer else _("应为不小于 0 的数值")
        rule.errorTitle = _("数值不正确")
        for key in keys:
            rule.add(column(key))
        sheet.add_data_validation(rule)


# --- the marked copy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A bad cell to mark: row number, column index (None: the row's first cell) and the message."""

    row: int
    column: int | None
    message: str


def marked_copy(data: bytes, name: str, sheet_title: str, marks: Sequence[Mark], summary: Sequence[str]) -> bytes:
    """A copy of the uploaded data sheet with each bad cell filled red and commented, and a list
    of all the errors on a second sheet. Streams (read-only in, write-only out), so memory stays
    small whatever the file's size; values and formulas are copied, other formatting is not."""
    by_cell: dict[tuple[int, int], list[str]] = {}
    for mark in marks:
        by_cell.setdefault((mark.row, mark.column or 0), []).append(mark.message)
    out = cells.workbook(write_only=True)
    target = out.create_sheet(_safe_title(sheet_title))
    for number, values in _source_rows(data, name, sheet_title):
        width = max(len(values), max((c + 1 for (r, c) in by_cell if r == number), default=0))
        row = []
        for index in range(width):
            value = values[index] if index < len(values) else None
            cell = cells.new_cell(target, value)  # a formula's text stays text
            messages = by_cell.get((number, index))
            if messages:
                cell.fill = ERROR_FILL
                cell.font = ERROR_FONT
                comment = Comment("\n".join(dict.fromkeys(messages)), _("数据检查"))
                comment.width, comment.height = 320, 120
                cell.comment = comment
            row.append(cell)
        target.append(row)
    errors = out.create_sheet(_("错误清单"))
    errors.append([_("序号"), _("错误")])
    for index, line in enumerate(summary, start=1):
        errors.append([index, line])
    return cells.to_bytes(out)


def _safe_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "Sheet1"


def _source_rows(data: bytes, name: str, sheet_title: str) -> Iterator[tuple[int, list[Any]]]:
    """Every row (numbered from 1, empty ones skipped) of the data sheet of an upload, formulas as text."""
    if sniff(data, name) == "csv":
        for number, line in enumerate(csv_rows(data), start=1):
            if any(c.strip() for c in line):
                yield number, list(line)
        return
    check_zip(data)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = workbook[sheet_title]
        sheet.reset_dimensions()
        for number, row, _formulas in _sheet_rows(sheet):
            values = _trimmed(row)[:MAX_COLUMNS]
            if values:
                yield number, values
    finally:
        workbook.close()


__all__ = [
    "COLUMN_KEYS",
    "HEADER_KEYS",
    "FileRejected",
    "Mark",
    "SheetSpec",
    "Table",
    "check_zip",
    "enum_value",
    "marked_copy",
    "normalise_header",
    "read_table",
    "text_of",
    "write_workbook",
    "yes_no",
]
