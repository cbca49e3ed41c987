"""Browser test of issue #2: a bureau user enters a school's statistics, meets the Chinese error
for a sub-count above its total, fixes it, submits and approves; a principal stays in scope.

Headless Chromium (tests/e2e/conftest.py) against pytest-django's `live_server`; the data is
built through the services and committed (`transactional_db`) so the server thread sees it.
Celery runs in-process here (tests/conftest.py, `celery_eager`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Response, expect

from core.models import Role, User
from indicators.models import BalanceResult, BalanceState
from indicators.results import to_json
from indicators.services import profile_install_defaults
from schools import services
from schools.fields import STAT_FIELDS, TYPE_SECTIONS
from schools.models import AnnualStatistics, District, School, StatisticsEvent, Status

YEAR = 2025
PASSWORD = "e2e-pass-4321"
DISTRICT = ("130999", "清源测试县")
TARGET = ("1309990001", "城关第一小学")  # primary, no statistics yet: the bureau user enters them
OWN = ("1309990002", "柳林镇中心小学")  # primary, the principal's school
OTHER_JUNIOR = ("1309990003", "清源第二初级中学")

# Every field a primary school's form shows, with plausible values: 620 pupils in 15 classes,
# 38 teachers. `qualified_teachers_primary` is first entered as 45 (> 38 teachers).
VALUES: dict[str, str] = {
    "students_primary": "620",
    "classes_primary": "15",
    "max_class_size_primary": "45",
    "teachers_primary": "38",
    "qualified_teachers_primary": "30",
    "mid_title_teachers_primary": "18",
    "backbone_teachers_primary": "6",
    "pe_art_teachers_primary": "5",
    "teaching_area": "3200.50",
    "indoor_sports_area": "150",
    "sports_area": "5400",
    "music_rooms": "2",
    "art_rooms": "2",
    "music_room_min_area": "96",
    "art_room_min_area": "90",
    "multimedia_rooms": "16",
    "equipment_value": "1550000",
    "books": "21700",
    "computers": "100",
}
TOO_MANY_QUALIFIED = "45"
PRIMARY_KEYS = {f.key for f in STAT_FIELDS if f.section is None or f.section in TYPE_SECTIONS["primary"]}


def test_values_cover_the_primary_form() -> None:
    # The browser test below fills "every field": keep VALUES in step with the data dictionary.
    assert set(VALUES) == PRIMARY_KEYS


# --- data and helpers -----------------------------------------------------------------------


def _user(username: str, role: str, **links: Any) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role, **links)


@pytest.fixture
def county(transactional_db: None) -> dict[str, Any]:
    """A small county built through the services, committed for the live server."""
    profile_install_defaults()  # flushed by earlier transactional tests
    district = services.district_get_or_create(code=DISTRICT[0], name=DISTRICT[1], province="河北省")
    schools: dict[str, School] = {}
    for code, name, school_type, area in (
        (*TARGET, "primary", "urban"),
        (*OWN, "primary", "town"),
        (*OTHER_JUNIOR, "junior", "urban"),
    ):
        schools[code] = services.school_create(
            district=district,
            code=code,
            year=YEAR - 1,
            name=name,
            school_type=school_type,
            ownership="public",
            county_run=True,
            area_type=area,
        )
    bureau = _user("bureau-e2e", Role.BUREAU, district=district, display_name="王科长")
    principal = _user("principal-e2e", Role.PRINCIPAL, school=schools[OWN[0]], display_name="李校长")
    own_values = {**VALUES, "students_primary": "300", "classes_primary": "9", "max_class_size_primary": "36"}
    services.statistics_save(school=schools[OWN[0]], year=YEAR, raw=own_values, user=principal)
    return {"district": district, "schools": schools, "bureau": bureau, "principal": principal}


def login(page: Page, base: str, username: str) -> Response | None:
    page.goto(f"{base}{reverse('login')}")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"login failed for {username}: {page.content()[:2000]}"
    return navigation.value


def submit_and_wait(page: Page, button: str) -> Response:
    """Click a submit button and return the response to the POST it sends."""
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()
    return posted.value


def shot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"suspiciously small screenshot {path}"
    return path


def events(stats: AnnualStatistics) -> list[str]:
    return list(stats.events.order_by("at", "id").values_list("action", flat=True))


def status_cell(page: Page) -> Any:
    return page.locator("#years-table tr.statusrow th.num").last


# --- tests ----------------------------------------------------------------------------------


def test_bureau_enters_fixes_submits_and_approves(
    page: Page, live_server: Any, county: dict[str, Any], screenshot_dir: Path
) -> None:
    base = live_server.url
    district: District = county["district"]
    school: School = county["schools"][TARGET[0]]

    # 1. Log in: bureau staff land on their district's school list.
    login(page, base, "bureau-e2e")
    assert page.url.endswith(reverse("schools:school_list", kwargs={"district_code": district.code}))
    expect(page.locator("#school-list")).to_contain_text(TARGET[1])

    # 2. Open the statistics form of a school for a year: every primary field, no other section.
    edit_url = reverse("schools:statistics_edit", kwargs={"code": school.code, "year": YEAR})
    response = page.goto(f"{base}{edit_url}")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_contain_text(f"{TARGET[1]} · {YEAR}—{YEAR + 1}学年统计")
    for legend in ("学生与班级", "教师", "校舍与场地", "设备与图书"):
        expect(page.locator("fieldset legend", has_text=legend)).to_be_visible()
    inputs = page.locator("form.statsform input[data-key]")
    shown = {inputs.nth(i).get_attribute("data-key") for i in range(inputs.count())}
    assert shown == PRIMARY_KEYS

    # 3. Fill every field, with more qualified teachers than teachers, and save.
    for key, value in VALUES.items():
        page.locator(f"#id_{key}").fill(TOO_MANY_QUALIFIED if key == "qualified_teachers_primary" else value)
    response = submit_and_wait(page, "保存")
    assert response.status == 400

    # The Chinese message sits next to the field, and only that field is marked.
    field = page.locator("div.field", has=page.locator("#id_qualified_teachers_primary"))
    error = field.locator("p.error[data-error-for=qualified_teachers_primary]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("不能超过")
    expect(error).to_contain_text("小学高于规定学历专任教师数(45)不能超过小学专任教师数(38)")
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(page.locator("p.error[data-error-for]")).to_have_count(1)
    expect(page.locator("ul.messages")).to_contain_text("数据未保存")
    # What the user typed is kept.
    expect(page.locator("#id_qualified_teachers_primary")).to_have_value(TOO_MANY_QUALIFIED)
    expect(page.locator("#id_teaching_area")).to_have_value(VALUES["teaching_area"])
    error.scroll_into_view_if_needed()
    shot(page, screenshot_dir, "1-error-next-to-field")
    assert not AnnualStatistics.objects.filter(school=school, year=YEAR).exists()
    assert not StatisticsEvent.objects.filter(statistics__school=school).exists()

    # 4. Fix the value and "保存并提交": back on the school page, status 已提交.
    page.locator("#id_qualified_teachers_primary").fill(VALUES["qualified_teachers_primary"])
    response = submit_and_wait(page, "保存并提交")
    assert response.status == 302
    assert page.url == f"{base}{reverse('schools:school_detail', kwargs={'code': school.code})}"
    expect(page.locator("ul.messages")).to_contain_text("已保存并提交")
    expect(page.locator("h1")).to_contain_text(TARGET[1])
    expect(page.locator("#years-table thead tr").first).to_contain_text(f"{YEAR}—{YEAR + 1}")
    expect(status_cell(page)).to_have_text("已提交")
    expect(page.locator("#years-table")).to_contain_text("3,200.5")  # the saved area, as displayed
    shot(page, screenshot_dir, "2-submitted")

    stats = AnnualStatistics.objects.get(school=school, year=YEAR)
    assert stats.status == Status.SUBMITTED
    assert stats.revision == 1
    for key, value in VALUES.items():
        assert Decimal(str(getattr(stats, key))) == Decimal(value), key
    assert stats.students_junior is None and stats.teachers_junior is None and stats.students_senior is None
    assert stats.updated_by == county["bureau"]
    assert events(stats) == ["create", "submit"]

    # 5. Approve: 已审核, locked (no edit link, no approve button left).
    response = submit_and_wait(page, "审核通过")
    assert response.status == 302
    expect(page.locator("ul.messages")).to_contain_text("已审核通过并锁定")
    expect(status_cell(page)).to_have_text("已审核")
    expect(page.get_by_role("button", name="审核通过", exact=True)).to_have_count(0)
    expect(page.locator("#years-table tfoot").get_by_role("link", name="修改")).to_have_count(0)
    shot(page, screenshot_dir, "3-approved")

    stats.refresh_from_db()
    assert stats.status == Status.APPROVED
    assert stats.revision == 1
    assert stats.qualified_teachers_primary == 30
    assert events(stats) == ["create", "submit", "approve"]
    # The approval reached the stored balance results (Celery runs in-process in these tests).
    state = BalanceState.objects.get(district=district, year=YEAR)
    assert state.stale is False
    result = BalanceResult.objects.get(district=district, year=YEAR, profile_name="quality-2017", is_current=True)
    assert to_json(result.outcome, full=True)["inputs"]["schools"][school.code] == {
        "revision": 1,
        "status": Status.APPROVED,
    }
    assert to_json(result.outcome, full=True)["inputs"]["schools_approved"] == 1

    # An approved year cannot be reopened for editing through the form.
    page.goto(f"{base}{edit_url}")
    assert page.url.endswith(reverse("schools:school_detail", kwargs={"code": school.code}))
    expect(page.locator("ul.messages")).to_contain_text("不能修改")


def test_principal_sees_own_school_only(
    page: Page, live_server: Any, county: dict[str, Any], screenshot_dir: Path
) -> None:
    base = live_server.url
    own = county["schools"][OWN[0]]
    other = county["schools"][TARGET[0]]

    # Logging in lands on the school's own standing ("我的学校"); its statistics are one click away.
    login(page, base, "principal-e2e")
    assert page.url == f"{base}{reverse('plans:school_standing', kwargs={'code': own.code})}"
    expect(page.locator("h1")).to_contain_text(OWN[1])
    page.goto(f"{base}{reverse('schools:school_detail', kwargs={'code': own.code})}")
    expect(page.locator("#years-table")).to_be_visible()
    expect(page.locator(".usermenu .who")).to_contain_text("李校长")
    shot(page, screenshot_dir, "1-principal-home")

    # Another school of the same district: 404, nothing of it shown.
    for url in (
        reverse("schools:school_detail", kwargs={"code": other.code}),
        reverse("schools:statistics_edit", kwargs={"code": other.code, "year": YEAR}),
        reverse("schools:school_detail", kwargs={"code": OTHER_JUNIOR[0]}),
    ):
        response = page.goto(f"{base}{url}")
        assert response is not None
        assert response.status == 404, f"{url} answered {response.status}"
        body = page.content()
        assert TARGET[1] not in body and OTHER_JUNIOR[1] not in body
    page.goto(f"{base}{reverse('schools:school_detail', kwargs={'code': other.code})}")
    shot(page, screenshot_dir, "2-other-school-404")

    # Approving is the bureau's: the principal's POST to approve their own school is refused.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    approve = reverse("schools:statistics_action", kwargs={"code": OWN[0], "year": YEAR, "action": "approve"})
    refused = page.request.post(f"{base}{approve}", headers={"X-CSRFToken": csrf, "Referer": base + "/"})
    assert refused.status == 403
    assert AnnualStatistics.objects.get(school=own, year=YEAR).status == Status.DRAFT
