"""The work summaries as Word documents, read back with python-docx: the figures are the stored
results, the headings and tables are real Word structure, and an edited draft keeps its words
while its figures follow the data."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from core.models import User
from indicators.presentation import gap_text, value_text
from indicators.services import balance_recompute
from schools import services
from schools.models import AnnualStatistics
from summaries.models import SummaryVersion
from tests.factories import YEAR, values_for
from tests.integration.summaries.conftest import County

pytestmark = pytest.mark.django_db


def read(data: bytes | Path) -> Any:
    return docx.Document(io.BytesIO(data) if isinstance(data, bytes) else str(data))


def all_text(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def table_with(document: Any, header: list[str]) -> Any:
    for table in document.tables:
        if [c.text for c in table.rows[0].cells] == header:
            return table
    raise AssertionError(f"no table with header {header}")


def write(tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "out.docx"
    call_command("work_summary", *args, "--output", str(path), stdout=io.StringIO())
    return path


def test_the_county_summary_names_its_failing_cvs_as_the_pages_show_them(county: County, tmp_path: Path) -> None:
    document = read(write(tmp_path, "--district", county.district.code, "--year", str(YEAR)))
    outcome = county.result().outcome
    previous = county.result(YEAR - 1).outcome
    text = all_text(document)

    # Real structure: a Title, 一/二/三 as Heading 1, (一)(二) as Heading 2, Word tables.
    styles = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name in ("Title", "Heading 1", "Heading 2")
    ]
    assert styles[0] == ("Title", "甲测试县2025—2026学年义务教育均衡发展工作总结")
    headings = [t for s, t in styles if s == "Heading 1"]
    assert headings == ["一、基本情况和主要成绩", "二、存在的问题和困难", "三、下一步工作打算"]
    assert ("Heading 2", "(二)主要成绩与亮点") in styles
    assert len(document.tables) >= 4

    # The failing CV, at three decimals as on the balance page, in the problems and the actions.
    failing = outcome.cv("primary", "sports_area_per_student")
    assert failing is not None and failing.passes is False
    shown = f"{failing.cv:.3f}"
    assert shown == "0.705"
    assert f"小学生均体育运动场馆面积差异系数为 {shown},高于 0.50 的标准" in text
    assert f"使差异系数由 {shown} 降至 0.50 以下" in text

    # Every CV of the table is the stored one, this year and last.
    cvs = table_with(document, ["学段", "指标", "本学年", "上学年", "标准", "结论"])
    rows = 0
    for row in cvs.rows[1:]:
        level = {"小学": "primary", "初中": "junior"}[row.cells[0].text]
        key = next(r.key for r in outcome.rules if r.label == row.cells[1].text)
        now, before = outcome.cv(level, key), previous.cv(level, key)
        assert row.cells[2].text == f"{now.cv:.3f}" and row.cells[3].text == f"{before.cv:.3f}"
        assert row.cells[5].text == ("未达标" if now.passes is False else "达标")
        rows += 1
    assert rows == sum(len(level.indicators) for level in outcome.levels.values())

    # The year's figures and their change: 3 primary schools of 600 students, both years.
    figures = table_with(document, ["项目", "本学年", "上学年", "变化"])
    by_name = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in figures.rows[1:]}
    assert by_name["小学在校生(人)"] == ["1,800", "1,800", "0"]
    assert by_name["义务教育阶段学校(所)"] == ["4", "4", "0"]

    # The school still failing, with its gap worded as the balance page words it.
    unit = next(u for u in outcome.units if u.school_code == "1101010003")
    failing_table = table_with(document, ["学校", "学段", "达标项", "上学年", "与标准的差距"])
    row = next(r for r in failing_table.rows[1:] if r.cells[0].text == "甲县河口小学")
    assert row.cells[2].text == f"{unit.met}/{unit.assessed}"
    assert gap_text(unit.gaps["sports_area_per_student"]) in row.cells[4].text

    # Page numbers are Word fields; the page is A4 with the official margins.
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert round(document.sections[0].page_width.mm) == 210 and round(document.sections[0].top_margin.mm) == 37


def test_the_school_summary_shows_the_schools_stored_values(county: County, tmp_path: Path) -> None:
    code = "1101010003"
    document = read(write(tmp_path, "--district", county.district.code, "--year", str(YEAR), "--school", code))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、基本情况", "二、主要成绩", "三、存在的问题和不足", "四、下一步工作打算"]
    outcome = county.result().outcome
    unit = next(u for u in outcome.units_of(code))
    table = table_with(document, ["学段", "指标", "单位", "本学年", "上学年", "标准", "结论"])
    values = {row.cells[1].text: row.cells[3].text for row in table.rows[1:]}
    for rule in outcome.rules:
        value, standard = unit.values[rule.key], rule.standards["primary"]
        assert values[rule.label] == value_text(value, standard, value is not None and value >= standard)
    text = all_text(document)
    assert "甲县河口小学2025—2026学年义务教育均衡发展自评总结" in text
    assert gap_text(unit.gaps["sports_area_per_student"]) in text


def test_the_command_refuses_a_year_without_results_and_a_bad_output(county: County, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="尚无资源配置计算结果"):
        write(tmp_path, "--district", county.district.code, "--year", str(YEAR + 5))
    with pytest.raises(CommandError, match="docx"):
        call_command("work_summary", "--district", county.district.code, "--year", str(YEAR), "--output", "x.txt")
    with pytest.raises(CommandError, match="999999"):
        write(tmp_path, "--district", "999999", "--year", str(YEAR))


def test_the_pdf_is_the_same_document(county: County, tmp_path: Path) -> None:
    path = tmp_path / "out.pdf"
    call_command("work_summary", "--district", county.district.code, "--year", str(YEAR), "--output", str(path))
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "二、存在的问题和困难" in text and "0.705" in text


def _replace_sports_area(county: County, code: str, area: str, user: User) -> None:
    """A corrected figure, through the workflow: returned, saved, submitted, approved, recomputed."""
    stats = AnnualStatistics.objects.get(school__code=code, year=YEAR)
    stats = services.statistics_reopen(stats=stats, user=user, reason="运动场面积核实")
    raw = values_for("primary", sports_area=area)
    stats = services.statistics_save(
        school=county.schools[code],
        year=YEAR,
        raw=raw,
        user=user,
        reasons={"sports_area": "运动场改造"},
        expected_revision=stats.revision,
    ).statistics
    services.statistics_approve(stats=services.statistics_submit(stats=stats, user=user), user=user)
    balance_recompute(districts=[county.district], year=YEAR, force=True)


def test_an_edited_draft_keeps_its_words_and_refreshes_the_figures(
    county: County, bureau_client: Client, bureau_user: User
) -> None:
    page = reverse("summaries:county", args=[county.district.code, YEAR])
    words = "我县新建塑胶运动场两处。小学运动场差异系数为{{小学生均体育运动场馆面积差异系数}}。"
    response = bureau_client.post(page, {"action": "save", "base": "0", "block-results-more": words, "note": "补充"})
    assert response.status_code == 302
    version = SummaryVersion.objects.get(summary__district=county.district, number=1)
    assert version.note == "补充"
    before = read(bureau_client.get(f"{page}download.docx").content)
    assert "我县新建塑胶运动场两处。小学运动场差异系数为0.705。" in all_text(before)

    _replace_sports_area(county, "1101010003", "4500", bureau_user)
    new_cv = county.result().outcome.cv("primary", "sports_area_per_student")
    assert new_cv is not None and f"{new_cv.cv:.3f}" != "0.705"

    after = all_text(read(bureau_client.get(f"{page}download.docx").content))
    assert f"我县新建塑胶运动场两处。小学运动场差异系数为{new_cv.cv:.3f}。" in after
    assert "0.705" not in after  # the figure changed everywhere, tables included
    assert SummaryVersion.objects.filter(summary__district=county.district).count() == 1  # no new version
    # The page says the data changed since the version was saved.
    assert "data-changed" in bureau_client.get(page).content.decode()


def test_next_years_actions_follow_the_adopted_plan(county: County, tmp_path: Path, bureau_user: User) -> None:
    from indicators.selectors import county_inputs
    from planner.adoption import plan_adopt
    from planner.schedule import schedule_plan
    from planner.services import plan_run, profile_for

    district = county.district
    plan = plan_run(district=district, year=YEAR, profile_name="quality-2017")
    assert plan.actions, "the fixture county fails somewhere: the planner has work to do"
    records = county_inputs([district.pk], YEAR)[district.pk].records
    schedule = schedule_plan(records, profile_for(district, "quality-2017"), plan.actions, YEAR + 1, [None, None, None])
    before = all_text(read(write(tmp_path, "--district", district.code, "--year", str(YEAR))))
    assert "整改方案" not in before

    plan_adopt(
        district=district,
        year=YEAR,
        profile_name="quality-2017",
        plan=plan,
        schedule=schedule,
        start_year=YEAR + 1,
        budgets=[None, None, None],
        user=bureau_user,
    )
    text = all_text(read(write(tmp_path, "--district", district.code, "--year", str(YEAR))))
    first = next(y for y in schedule.years if y.packages)
    assert f"采纳的整改方案(总费用 {plan.cost_yuan:,.0f} 元)" in text
    assert f"{first.year}—{first.year + 1}学年在 {len(first.packages)} 所学校投入 {first.cost:,.0f} 元" in text
    for package in first.packages:
        assert package.school_name in text
