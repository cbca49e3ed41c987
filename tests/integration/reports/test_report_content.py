"""Reports of the demo county read back from the files: the PDF's text (pdftotext) shows the
stored CVs and verdicts formatted as the pages format them, its fonts are embedded (pdffonts),
and the spreadsheet holds the stored values themselves."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from indicators.models import BalanceResult
from indicators.presentation import value_text
from indicators.results import to_json
from reports import services
from schools import services as school_services
from schools.models import District, School
from tests.integration.reports.conftest import DEMO_YEAR, pdf_fonts, pdf_text

LEVELS = {"primary": "小学", "junior": "初中"}
VERDICT = {True: "达标", False: "未达标", None: "无法判定"}


def render(district: District, profile: str, fmt: str = "pdf", school: School | None = None) -> bytes:
    data, _pages = services.render_document(
        kind="school" if school else "county",
        fmt=fmt,
        district=district,
        school=school,
        year=DEMO_YEAR,
        profile_name=profile,
    )
    return data


def stored(district: District, profile: str) -> dict[str, Any]:
    result = BalanceResult.objects.get(district=district, year=DEMO_YEAR, profile_name=profile, is_current=True)
    document: dict[str, Any] = to_json(result.outcome, full=True)
    return document


def cv_table_lines(text: str, level_label: str) -> list[str]:
    """The lines of the level's 校际差异系数表 (表5-n), up to the next table."""
    start = re.search(rf"表5-\d {level_label}校际差异系数表", text)
    assert start, f"no CV table for {level_label}"
    rest = text[start.end() :]
    end = re.search(rf"表5-\d|{level_label}:差异系数与标准|四、政府保障", rest)
    return rest[: end.start() if end else None].splitlines()


@pytest.mark.parametrize("profile", ["quality-2017", "basic-2012"])
def test_county_pdf_prints_every_stored_cv_and_verdict(demo: District, tmp_path: Path, profile: str) -> None:
    data = render(demo, profile)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    document = stored(demo, profile)
    assert "清源县义务教育均衡发展督导评估报告" in text
    assert document["inputs"]["fingerprint"] in text.replace("\n", "")
    for level, entry in document["levels"].items():
        lines = cv_table_lines(text, LEVELS[level])
        for key, ind in entry["indicators"].items():
            row = next((line for line in lines if line.strip().startswith(ind["label"])), None)
            assert row is not None, f"{level}/{key} missing from the CV table"
            cells = row.split()
            assert f"{ind['cv']:.3f}" in cells, (row, ind["cv"])
            assert f"{ind['mean']:,.4f}" in cells and f"{ind['sd']:,.4f}" in cells
            if ind["threshold"] is None:
                assert "不单独判定" in row
            else:
                assert cells[-1].startswith(VERDICT[ind["passes"]]), row
                assert f"{ind['threshold']:.2f}" in cells
        if entry["composite"] is not None:
            composite = next(line for line in lines if line.strip().startswith("综合差异系数"))
            assert f"{entry['composite']:.3f}" in composite.split()
        assert f"结论:{VERDICT[entry['passes']]})" in text.replace(" ", "")


def test_county_pdf_embeds_its_fonts(demo: District, tmp_path: Path) -> None:
    fonts = pdf_fonts(render(demo, "quality-2017"), tmp_path)
    assert fonts, "no fonts listed"
    assert all(f["emb"] == "yes" for f in fonts), fonts
    names = {f["name"].split("+", 1)[1] for f in fonts}
    assert {"Report-Sans-SC", "Report-Sans-SC-Bold"} <= names


def test_a_rare_character_falls_back_to_the_system_font_and_is_embedded(demo: District, tmp_path: Path) -> None:
    school = School.objects.get(code="1301880001")
    school_services.school_change(school=school, year=DEMO_YEAR, user=None, name="清源县堃𠮷第一小学")
    from indicators.services import balance_recompute

    balance_recompute(districts=[demo], year=DEMO_YEAR)
    data = render(demo, "quality-2017")
    assert "清源县堃𠮷第一小学" in pdf_text(data, tmp_path, layout=False)
    fonts = pdf_fonts(data, tmp_path)
    assert all(f["emb"] == "yes" for f in fonts)
    assert any("Noto-Sans-CJK" in f["name"] for f in fonts), fonts  # 堃 is not in GB2312


def test_unit_values_in_the_pdf_are_the_stored_ones(demo: District, tmp_path: Path) -> None:
    document = stored(demo, "quality-2017")
    text = pdf_text(render(demo, "quality-2017"), tmp_path)
    unit = next(u for u in document["units"] if u["school_code"] == "1301880001" and u["included"])
    row = next(line for line in text.splitlines() if line.strip().startswith(unit["school_name"]))
    standards = {r["key"]: r["standards"][unit["level"]] for r in document["rules"]["indicators"]}
    for key, value in unit["values"].items():
        standard = standards[key]
        met = value is not None and value >= standard
        assert value_text(value, standard, met) in row, (key, row)


def test_county_xlsx_holds_the_stored_values_with_the_pdf_precision(demo: District) -> None:
    document = stored(demo, "quality-2017")
    workbook = load_workbook(io.BytesIO(render(demo, "quality-2017", "xlsx")))
    sheet = workbook["校际差异系数"]
    found = 0
    labels = {
        (level, ind["label"]): key for level, e in document["levels"].items() for key, ind in e["indicators"].items()
    }
    current_level = None
    for row in sheet.iter_rows():
        first = row[0].value
        if isinstance(first, str) and first.startswith("表5-"):
            current_level = "primary" if "小学" in first else "junior"
            continue
        if not isinstance(first, str) or "(" not in first:
            continue
        level, label = current_level, first.split("(")[0]
        if (level, label) not in labels:
            continue
        key = labels[(level, label)]
        ind = document["levels"][level]["indicators"][key]
        cv_cell = row[5]
        # The stored float (openpyxl writes 16 significant digits), shown with the PDF's 3 places.
        assert cv_cell.value == pytest.approx(ind["cv"], rel=1e-15, abs=0)
        assert cv_cell.number_format == "#,##0.000"
        assert f"{cv_cell.value:,.3f}" == f"{ind['cv']:,.3f}"
        assert row[3].value == pytest.approx(ind["mean"], rel=1e-15) and row[4].value == pytest.approx(
            ind["sd"], rel=1e-15
        )
        assert row[7].value == VERDICT[ind["passes"]]
        found += 1
    assert found == sum(len(e["indicators"]) for e in document["levels"].values())
    units = workbook["资源配置-小学"]
    unit = next(u for u in document["units"] if u["school_code"] == "1301880001" and u["included"])
    row = next(r for r in units.iter_rows() if r[1].value == "1301880001")
    keys = [r["key"] for r in document["rules"]["indicators"]]
    assert [c.value for c in row[3 : 3 + len(keys)]] == pytest.approx([unit["values"][k] for k in keys], rel=1e-15)


def test_school_report_shows_the_schools_values_over_the_years(demo: District, tmp_path: Path) -> None:
    school = School.objects.get(code="1301880027")  # a nine-year school: a primary and a junior unit
    data = render(demo, "quality-2017", school=school)
    text = pdf_text(data, tmp_path)
    assert "后沟九年一贯制学校办学条件与发展报告" in text.replace(" ", "")
    document = stored(demo, "quality-2017")
    for unit in (u for u in document["units"] if u["school_code"] == school.code):
        value = unit["values"]["sports_area_per_student"]
        assert value_text(value, 7.5 if unit["level"] == "primary" else 10.2, False) in text
    workbook = load_workbook(io.BytesIO(render(demo, "quality-2017", "xlsx", school=school)))
    assert "历年指标-小学" in workbook.sheetnames and "历年指标-初中" in workbook.sheetnames
