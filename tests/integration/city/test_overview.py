"""The multi-county overview: the figures are the stored results, the rows sort, the drill-down
shows the years, the files carry the same table, and only the assigned counties are ever read."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from core import access
from core.models import Role, User
from indicators.services import balance_recompute
from schools import services
from schools.models import District, School
from tests.conftest import login
from tests.factories import YEAR, make_school, make_user, save_statistics
from tests.integration.summaries.conftest import County, build_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_a1(district_a: District) -> School:
    return make_school(district_a, "1101010001", "甲县城关第一小学", "primary", year=YEAR - 1)


@pytest.fixture
def school_a2(district_a: District) -> School:
    return make_school(district_a, "1101010002", "甲县实验初级中学", "junior", year=YEAR - 1)


@pytest.fixture
def counties(
    district_a: District, district_b: District, school_a1: School, school_a2: School, school_b1: School
) -> County:
    """District A over two years (its primary sports-area CV fails); district B, one year, passing."""
    county = build_county(district_a, school_a1, school_a2)
    other = make_school(district_b, "1201010002", "乙县实验小学", "primary")
    for school in (school_b1, other):
        stats = save_statistics(school, YEAR)
        services.statistics_approve(stats=services.statistics_submit(stats=stats, user=None), user=None)
    balance_recompute(districts=[district_b], year=YEAR)
    return county


@pytest.fixture
def city_user(district_a: District, district_b: District) -> User:
    user = make_user("city_office", Role.CITY)
    user.inspected_districts.add(district_a, district_b)
    return user


def test_the_city_office_sees_its_counties_read_only(counties: County, city_user: User, district_a: District) -> None:
    assert set(access.district_scope(city_user).values_list("code", flat=True)) == {"110101", "120101"}
    assert access.can(city_user, "view", district_a) and access.can(city_user, "compare")
    for action in ("manage", "review", "edit_statistics", "edit_school_summary"):
        assert not access.can(city_user, action, district_a)  # type: ignore[arg-type]
    response = login(city_user).get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("city:overview")


def test_the_overview_shows_each_countys_stored_figures_side_by_side(counties: County, city_user: User) -> None:
    client = login(city_user)
    response = client.get(reverse("city:overview"))
    body = response.content.decode()
    outcome = counties.result().outcome
    failing = outcome.cv("primary", "sports_area_per_student")
    assert failing is not None and failing.passes is False
    assert f"{failing.cv:.3f}" in body  # 0.705, three decimals as on the balance page
    assert "甲测试县" in body and "乙测试县" in body
    rows = response.context["rows"]
    a = next(r for r in rows if r.code == "110101")
    judged = [u for u in outcome.included() if u.passes is not None]
    assert a.cv_over == sum(1 for lv in outcome.levels.values() for i in lv.indicators.values() if i.passes is False)
    assert a.share == sum(1 for u in judged if u.passes) / len(judged)
    assert a.worst is not None and a.worst.key == "sports_area_per_student" and a.worst.cv == failing.cv
    assert a.verdict is False
    # The trend: both years for A, only the last for B.
    trends = response.context["data"].trends
    assert [p.has_result for p in trends["110101"]] == [True, True]
    assert [p.has_result for p in trends["120101"]] == [False, True]


def test_the_rows_sort_by_any_column(counties: County, city_user: User) -> None:
    client = login(city_user)

    def order(query: str) -> list[str]:
        return [r.code for r in client.get(f"{reverse('city:overview')}?{query}").context["rows"]]

    assert order("sort=worst&dir=desc") == ["110101", "120101"]
    assert order("sort=worst") == ["120101", "110101"]
    assert order("sort=cv_over&dir=desc")[0] == "110101"
    assert order("sort=name") == ["120101", "110101"]  # 乙 sorts before 甲 (by code point)
    assert order("sort=name&dir=desc") == ["110101", "120101"]
    assert order("sort=nonsense") == ["110101", "120101"]  # unknown key: by code


def test_the_drill_down_shows_every_year(counties: County, city_user: User) -> None:
    response = login(city_user).get(reverse("city:district", args=["110101"]))
    assert response.status_code == 200
    years = response.context["years"]
    assert [y.year for y in years] == [YEAR - 1, YEAR]
    before = counties.result(YEAR - 1).outcome.cv("primary", "sports_area_per_student")
    body = response.content.decode()
    assert before is not None and f"{before.cv:.3f}" in body and "0.705" in body


def test_the_xlsx_and_pdf_carry_the_same_figures(counties: County, city_user: User, tmp_path: Path) -> None:
    client = login(city_user)
    workbook = load_workbook(io.BytesIO(client.get(reverse("city:overview_xlsx")).content))
    table = workbook["区县对比"]
    names = [table.cell(row, 2).value for row in range(4, 6)]
    assert names == ["甲测试县", "乙测试县"]
    cvs = workbook["差异系数"]
    row = next(
        r
        for r in range(2, cvs.max_row + 1)
        if cvs.cell(r, 1).value == "小学" and cvs.cell(r, 2).value == "生均体育运动场馆面积"
    )
    stored = counties.result().outcome.cv("primary", "sports_area_per_student")
    assert (
        stored is not None and cvs.cell(row, 4).value == stored.cv and cvs.cell(row, 4).number_format == "#,##0.000"
    )  # shows 0.705

    pdf = client.get(reverse("city:overview_pdf")).content
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "city.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "甲测试县" in text and "乙测试县" in text and "0.705" in text
    assert "小学生均体育运动场馆面积差异系数为 0.705,高于 0.50 的标准" in text.replace("\n", "")


def test_only_the_assigned_counties_are_read_in_pages_api_and_files(
    counties: County, outsider_inspector: User, bureau_user: User, city_user: User
) -> None:
    client = login(outsider_inspector)  # assigned to district B only
    for name in ("city:overview", "city:overview_xlsx", "city:overview_pdf"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "甲测试县".encode() not in response.content and b"110101" not in response.content
    assert client.get(reverse("city:district", args=["110101"])).status_code == 404
    api = client.get("/api/v1/city/").json()
    assert [c["district_code"] for c in api["counties"]] == ["120101"]
    assert client.get("/api/v1/city/110101/").status_code == 404
    # Bureau staff follow one county: no comparison page, no comparison API.
    staff = login(bureau_user)
    assert staff.get(reverse("city:overview")).status_code == 403
    assert staff.get("/api/v1/city/").status_code == 403


def test_the_api_gives_the_stored_figures_at_full_precision(counties: County, city_user: User) -> None:
    client: Client = login(city_user)
    data = client.get("/api/v1/city/?sort=worst&dir=desc").json()
    assert [c["district_code"] for c in data["counties"]] == ["110101", "120101"]
    a = data["counties"][0]
    stored = counties.result().outcome.cv("primary", "sports_area_per_student")
    primary = next(lv for lv in a["levels"] if lv["level"] == "primary")
    sports = next(c for c in primary["cvs"] if c["key"] == "sports_area_per_student")
    assert stored is not None and sports["cv"] == stored.cv and sports["passes"] is False
    assert [p["year"] for p in a["trend"]] == [YEAR - 1, YEAR]
    detail = client.get("/api/v1/city/110101/").json()
    assert [y["year"] for y in detail["years"]] == [YEAR - 1, YEAR]
    assert client.get("/api/v1/city/?year=abc").status_code == 200  # a bad year is ignored, not a 500
