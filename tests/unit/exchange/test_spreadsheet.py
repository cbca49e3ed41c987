"""The file format at the edges (schools.spreadsheet): reading safely, writing, marking errors.

No database: every file is crafted in memory (tests/exchange_files.py).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from schools import spreadsheet
from schools.spreadsheet import COLUMN_KEYS, FileRejected, Mark, column_header, normalise_header, read_table
from tests.unit.exchange import files

HEADERS = files.template_headers(["school_code", "school_name", "school_type", "students_primary", "teaching_area"])


def test_every_template_header_reads_back_as_its_key() -> None:
    for key in COLUMN_KEYS:
        assert spreadsheet.HEADER_KEYS[normalise_header(column_header(key))] == key, key
    assert column_header("teaching_area") == "教学及辅助用房面积(m²)"
    assert column_header("students_primary") == "小学在校生数(人)"


def test_reads_the_first_sheet_with_a_header_below_title_rows() -> None:
    data = files.xlsx(
        [["3301020001", "实验小学", "小学", 600, 3000.5]],
        headers=HEADERS,
        above=[["某某县 2025 学年统计表"], []],
    )
    table = read_table(data, "a.xlsx")
    assert (table.sheet, table.header_row) == (files.SHEET, 3)
    assert table.headers[:2] == ["学校标识码", "学校名称"]
    assert table.rows == [(4, ["3301020001", "实验小学", "小学", 600, 3000.5])]
    assert table.cell(4, 3) == "学校统计!D4"


def test_formula_cells_are_kept_apart_from_values() -> None:
    data = files.xlsx([["3301020001", "实验小学", "小学", "=SUM(1,2)", 10]], headers=HEADERS)
    table = read_table(data, "f.xlsx")
    assert table.formulas == {(2, 3): "=SUM(1,2)"}
    assert table.rows[0][1][3] is None


def test_merged_header_cells_are_noted() -> None:
    data = files.xlsx([["3301020001", "实验小学", "小学", 1, 1]], headers=HEADERS, merge="D1:E1")
    assert read_table(data, "m.xlsx").merged_header == ["D1:E1"]


def test_a_merged_title_above_the_header_is_fine() -> None:
    data = files.xlsx([["3301020001", "实验小学", "小学", 1, 1]], headers=HEADERS, above=[["标题"]], merge="A1:E1")
    assert read_table(data, "m.xlsx").merged_header == []


def test_dates_come_through_as_dates() -> None:
    data = files.xlsx([["3301020001", "实验小学", "小学", files.NAIVE_DATE, 1]], headers=HEADERS)
    assert read_table(data, "d.xlsx").rows[0][1][3] == files.NAIVE_DATE


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.xlsx", "文件为空"),
        (files.PNG, "photo.xlsx", "文件已损坏"),
        (b"%PDF-1.7 ...", "report.pdf", "不是电子表格文件"),
        (files.password_protected(), "secret.xlsx", "密码"),
        (files.legacy_xls(), "old.xls", "97-2003"),
        (files.zip_bomb(), "bomb.xlsx", "压缩炸弹"),
        (b"\xb9\xfa\xbc\xd2,\xd1\xa7\xd0\xa3\n", "gbk.csv", "UTF-8"),
        ("学校标识码\x00,名称\n".encode(), "nul.csv", "不是文本格式"),
        ("区县,备注\n1,2\n".encode(), "other.csv", "未找到表头"),
    ],
)
def test_hostile_or_broken_files_are_refused_with_a_clear_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(FileRejected) as refused:
        read_table(data, name)
    assert message in str(refused.value)


def test_a_cut_workbook_is_refused_as_corrupt() -> None:
    data = files.xlsx([["3301020001", "实验小学", "小学", 1, 1]], headers=HEADERS)
    with pytest.raises(FileRejected, match="损坏"):
        read_table(files.corrupt_xlsx(data), "cut.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(FileRejected, match="不是 Excel 工作簿"):
        read_table(out.getvalue(), "letter.xlsx")


def test_an_xml_document_type_declaration_is_refused_before_parsing() -> None:
    data = files.xlsx([["3301020001", "实验小学", "小学", 1, 1]], headers=HEADERS)
    with pytest.raises(FileRejected, match="DOCTYPE"):
        read_table(files.with_doctype(data), "dtd.xlsx")


def test_the_uncompressed_total_is_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_UNCOMPRESSED_BYTES", 1000)
    data = files.xlsx([["3301020001", "实验小学", "小学", 1, 1]], headers=HEADERS)
    with pytest.raises(FileRejected, match="解压后过大"):
        read_table(data, "big.xlsx")


def test_a_wrong_template_names_the_sheets_searched() -> None:
    data = files.xlsx([["a", "b"]], headers=["姓名", "年龄"], sheet="名单")
    with pytest.raises(FileRejected) as refused:
        read_table(data, "people.xlsx")
    assert "未找到表头" in str(refused.value) and "名单" in str(refused.value)


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 3)
    rows = [[f"330102000{i}", "小学", "小学", 1, 1] for i in range(5)]
    with pytest.raises(FileRejected, match="行数过多"):
        read_table(files.xlsx(rows, headers=HEADERS), "many.xlsx")
    csv = ("学校标识码\n" + "\n".join(str(3301020000 + i) for i in range(5))).encode()
    with pytest.raises(FileRejected, match="行数过多"):
        read_table(csv, "many.csv")


def test_too_many_columns_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_COLUMNS", 6)
    row = ["3301020001", "小学", "小学", 1, 1, None, None, "far away"]
    with pytest.raises(FileRejected, match="列数过多"):
        read_table(files.xlsx([row], headers=HEADERS), "wide.xlsx")


def test_csv_with_bom_or_tabs() -> None:
    text = "\ufeff学校标识码,学校名称\n3301020001,实验小学\n\n"
    table = read_table(text.encode("utf-8"), "a.csv")
    assert (table.sheet, table.headers, table.rows) == (
        "a.csv",
        ["学校标识码", "学校名称"],
        [(2, ["3301020001", "实验小学"])],
    )
    tabbed = read_table("school_code\tschool_name\n3301020001\t实验小学\n".encode(), "t.csv")
    assert tabbed.rows == [(2, ["3301020001", "实验小学"])]


def test_written_workbook_has_drop_downs_text_codes_and_notes() -> None:
    rows = [{"school_code": "3301020001", "school_name": "实验小学", "school_type": "小学", "teaching_area": 12}]
    data = spreadsheet.write_workbook(rows, sheet_title="学校统计", notes=["说明"], blank_rows=5)
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["学校统计"]
    assert [c.value for c in sheet[1]] == [column_header(k) for k in COLUMN_KEYS]
    code = sheet.cell(row=2, column=COLUMN_KEYS.index("school_code") + 1)
    assert (code.value, code.number_format) == ("3301020001", "@")
    lists = {dv.formula1 for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    assert '"小学,初级中学,九年一贯制学校,十二年一贯制学校,完全中学,小学教学点,特殊教育学校,职业初中"' in lists
    assert '"公办,民办"' in lists and '"是,否"' in lists and '"城区,镇区,乡村"' in lists
    assert workbook.sheetnames == ["学校统计", "填表说明"]
    # What the template writes reads back as it was.
    table = read_table(data, "t.xlsx")
    assert table.rows[0][1][COLUMN_KEYS.index("school_name")] == "实验小学"


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_marked_copy_fills_and_comments_the_bad_cells(kind: str) -> None:
    rows: list[list[Any]] = [["3301020001", "实验小学", "小学", "二十", 1], ["3301020002", "二小", "小学", 5, "=1+1"]]
    if kind == "xlsx":
        data, name, sheet = files.xlsx(rows, headers=HEADERS), "in.xlsx", files.SHEET
    else:
        lines = [",".join(HEADERS)] + [",".join(str(c) for c in r) for r in rows]
        data, name, sheet = "\n".join(lines).encode(), "in.csv", "in.csv"
    marks = [Mark(2, 3, "应为数字"), Mark(3, 4, "单元格是公式")]
    out = spreadsheet.marked_copy(data, name, sheet, marks, ["学校统计!D2: 应为数字"])
    workbook = load_workbook(io.BytesIO(out))
    marked = workbook.worksheets[0]
    assert marked["D2"].value == "二十"
    assert marked["D2"].comment is not None and "应为数字" in marked["D2"].comment.text
    assert marked["D2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert marked["E3"].comment is not None and marked["E3"].value == "=1+1"
    assert marked["D3"].comment is None
    assert workbook["错误清单"]["B2"].value == "学校统计!D2: 应为数字"


def test_a_workbook_from_another_program_with_a_wide_dimension_reads() -> None:
    """A sheet whose styled cells stretch the used range far to the right still reads."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(["3301020001", "实验小学", "小学", 1, 1])
    sheet.cell(row=1, column=150).number_format = "0.00"  # styled, empty
    out = io.BytesIO()
    workbook.save(out)
    assert len(read_table(out.getvalue(), "w.xlsx").rows) == 1
