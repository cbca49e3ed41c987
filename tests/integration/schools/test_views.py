"""Integration tests for the registry and statistics pages (Django test client, PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.models import User
from schools import services
from schools.fields import STAT_FIELD_BY_KEY
from schools.models import AnnualStatistics, District, School, SchoolVersion, Status
from tests.factories import PASSWORD, YEAR, make_school, primary_values, save_statistics

pytestmark = pytest.mark.django_db


def form_data(**overrides: Any) -> dict[str, str]:
    """The statistics form as a browser posts it: every field as text."""
    return {k: "" if v is None else str(v) for k, v in primary_values(**overrides).items()}


def edit_url(school: School, year: int = YEAR) -> str:
    return reverse("schools:statistics_edit", args=[school.code, year])


def action_url(school: School, action: str, year: int = YEAR) -> str:
    return reverse("schools:statistics_action", args=[school.code, year, action])


def detail_url(school: School) -> str:
    return reverse("schools:school_detail", args=[school.code])


def list_url(district: District, year: int = YEAR) -> str:
    return reverse("schools:school_list", args=[district.code]) + f"?year={year}"


def stats_of(school: School, year: int = YEAR) -> AnnualStatistics:
    return AnnualStatistics.objects.get(school=school, year=year)


def has_stats(school: School, year: int = YEAR) -> bool:
    return AnnualStatistics.objects.filter(school=school, year=year).exists()


def text(response: Any) -> str:
    return str(response.content.decode())


def revision_in(page: str) -> str:
    """The hidden revision the form will post back ("" when it carries none)."""
    tag = re.search(r'<input[^>]*name="revision"[^>]*>', page)
    assert tag is not None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


# --- login and language -----------------------------------------------------------------------


def test_login_page_renders(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in text(response)
    assert 'name="username"' in text(response) and 'name="password"' in text(response)


def test_anonymous_visitor_is_sent_to_the_login_page(client: Client, school_a1: School) -> None:
    for url in (reverse("home"), list_url(school_a1.district), detail_url(school_a1), edit_url(school_a1)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_bureau_user_logs_in_and_lands_on_their_districts_school_list(
    client: Client, bureau_user: User, school_a1: School
) -> None:
    response = client.post(reverse("login"), {"username": bureau_user.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("schools:school_list", args=[school_a1.district.code])
    assert school_a1.versions.get().name in text(response)


def test_login_with_a_wrong_password_is_refused(client: Client, bureau_user: User) -> None:
    response = client.post(reverse("login"), {"username": bureau_user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in text(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.xfail(
    not (settings.BASE_DIR / "locale" / "en").exists(), reason="English catalog not written yet", strict=True
)
def test_language_switch_shows_the_interface_in_english(client: Client) -> None:
    chinese = ["登录", "用户名", "密码", "义务教育均衡发展管理平台"]  # strings of the login page
    with translation.override("en"):
        english = {source: translation.gettext(source) for source in chinese}
    translated = {source: text for source, text in english.items() if text != source}
    assert translated, "locale/en translates none of the login page's strings"

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True)
    assert response.status_code == 200
    page = text(response)
    assert 'lang="en"' in page
    assert any(text in page for text in translated.values())
    # and back to Chinese
    page = text(client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("login")}, follow=True))
    assert 'lang="zh-hans"' in page
    assert any(source in page for source in translated)


# --- bureau user: entering, submitting and approving statistics ---------------------------------


def test_bureau_user_enters_fixes_submits_and_approves_statistics(bureau_client: Client, school_a1: School) -> None:
    form = bureau_client.get(edit_url(school_a1))
    assert form.status_code == 200
    for group in ("学生与班级", "教师", "校舍与场地", "设备与图书"):
        assert group in text(form)

    # A sub-count above its total: refused with the Chinese message naming the field.
    response = bureau_client.post(edit_url(school_a1), form_data(qualified_teachers_primary=41))
    assert response.status_code == 400
    body = text(response)
    assert STAT_FIELD_BY_KEY["qualified_teachers_primary"].label in body
    assert "不能超过" in body
    assert 'data-error-for="qualified_teachers_primary"' in body
    assert 'value="41"' in body  # what the user typed is kept
    assert not has_stats(school_a1)

    response = bureau_client.post(edit_url(school_a1), form_data(qualified_teachers_primary=40))
    assert response.status_code == 302
    assert response["Location"] == detail_url(school_a1)
    stats = stats_of(school_a1)
    assert (stats.status, stats.qualified_teachers_primary, stats.students_primary) == (Status.DRAFT, 40, 600)

    assert bureau_client.post(action_url(school_a1, "submit")).status_code == 302
    assert stats_of(school_a1).status == Status.SUBMITTED
    assert bureau_client.post(action_url(school_a1, "approve")).status_code == 302
    assert stats_of(school_a1).status == Status.APPROVED

    # Locked: the form is not offered and a post changes nothing.
    assert bureau_client.get(edit_url(school_a1)).status_code == 302
    bureau_client.post(edit_url(school_a1), form_data(books=25000, revision=stats.revision))
    assert stats_of(school_a1).books == 20000


def test_save_and_submit_in_one_step(bureau_client: Client, school_a1: School) -> None:
    response = bureau_client.post(edit_url(school_a1), {**form_data(), "submit": ""})
    assert response.status_code == 302
    assert stats_of(school_a1).status == Status.SUBMITTED


def test_text_in_a_count_is_refused_with_a_chinese_message(bureau_client: Client, school_a1: School) -> None:
    response = bureau_client.post(edit_url(school_a1), form_data(students_primary="六百"))
    assert response.status_code == 400
    assert "应为数字" in text(response)
    assert not has_stats(school_a1)


def test_thousands_separators_are_accepted_in_the_form(bureau_client: Client, school_a1: School) -> None:
    response = bureau_client.post(edit_url(school_a1), form_data(books="20,000", equipment_value="1,500,000.50"))
    assert response.status_code == 302
    stats = stats_of(school_a1)
    assert (stats.books, str(stats.equipment_value)) == (20000, "1500000.50")


def test_a_jump_asks_for_a_reason_and_saves_once_given(bureau_client: Client, district_a: District) -> None:
    previous = make_school(district_a, "1101010008", "甲县往年小学", year=YEAR - 1)
    save_statistics(previous, YEAR - 1)

    response = bureau_client.post(edit_url(previous), form_data(books=40000))
    assert response.status_code == 400
    assert "较上年变化 +100%" in text(response)
    assert 'name="reason_books"' in text(response)
    assert not has_stats(previous)

    response = bureau_client.post(edit_url(previous), {**form_data(books=40000), "reason_books": "新建图书馆"})
    assert response.status_code == 302
    assert stats_of(previous).change_reasons == {"books": "新建图书馆"}


def test_a_save_over_someone_elses_newer_save_is_refused_with_what_changed(
    bureau_client: Client, principal_client: Client, school_a1: School
) -> None:
    save_statistics(school_a1)
    assert 'name="revision" value="1"' in text(principal_client.get(edit_url(school_a1)))
    bureau_client.post(edit_url(school_a1), form_data(books=21000, revision=1))

    response = principal_client.post(edit_url(school_a1), form_data(computers=150, revision=1))
    assert response.status_code == 409
    body = text(response)
    assert "已被他人修改" in body
    assert "图书" in body and "21,000" in body
    assert 'name="revision" value="2"' in body
    stats = stats_of(school_a1)
    assert (stats.books, stats.computers, stats.revision) == (21000, 100, 2)


def test_two_editors_of_a_new_year_do_not_overwrite_each_other(
    bureau_client: Client, principal_client: Client, school_a1: School
) -> None:
    # Both open the empty form for a year nobody has entered yet.
    revision = revision_in(text(principal_client.get(edit_url(school_a1))))
    assert revision_in(text(bureau_client.get(edit_url(school_a1)))) == revision

    assert bureau_client.post(edit_url(school_a1), form_data(books=21000, revision=revision)).status_code == 302
    response = principal_client.post(edit_url(school_a1), form_data(books=22000, revision=revision))
    assert response.status_code == 409
    assert stats_of(school_a1).books == 21000


def test_reopening_through_the_page_needs_a_reason(bureau_client: Client, school_a1: School, bureau_user: User) -> None:
    stats = services.statistics_submit(stats=save_statistics(school_a1), user=bureau_user)
    services.statistics_approve(stats=stats, user=bureau_user)

    response = bureau_client.post(action_url(school_a1, "reopen"), {"reason": "  "}, follow=True)
    assert "退回时必须填写原因" in text(response)
    assert stats_of(school_a1).status == Status.APPROVED

    bureau_client.post(action_url(school_a1, "reopen"), {"reason": "教师数有误"})
    assert stats_of(school_a1).status == Status.REOPENED
    assert bureau_client.get(edit_url(school_a1)).status_code == 200


def test_unknown_workflow_action_changes_nothing(bureau_client: Client, school_a1: School) -> None:
    save_statistics(school_a1)
    response = bureau_client.post(action_url(school_a1, "delete"))
    assert response.status_code in (302, 404)
    assert stats_of(school_a1).status == Status.DRAFT


# --- principal --------------------------------------------------------------------------------


def test_principal_edits_and_submits_their_own_school(principal_client: Client, school_a1: School) -> None:
    assert principal_client.get(detail_url(school_a1)).status_code == 200
    assert principal_client.get(edit_url(school_a1)).status_code == 200
    assert principal_client.post(edit_url(school_a1), form_data()).status_code == 302
    assert principal_client.post(action_url(school_a1, "submit")).status_code == 302
    assert stats_of(school_a1).status == Status.SUBMITTED


def test_principal_cannot_approve_or_reopen(principal_client: Client, school_a1: School, principal: User) -> None:
    services.statistics_submit(stats=save_statistics(school_a1), user=principal)
    assert principal_client.post(action_url(school_a1, "approve")).status_code == 403
    assert principal_client.post(action_url(school_a1, "reopen"), {"reason": "自行退回"}).status_code == 403
    assert stats_of(school_a1).status == Status.SUBMITTED


def test_principal_cannot_see_another_school(principal_client: Client, school_a2: School, school_b1: School) -> None:
    save_statistics(school_a2, school_type="junior")
    for school in (school_a2, school_b1):
        assert principal_client.get(detail_url(school)).status_code == 404
        assert principal_client.get(edit_url(school)).status_code == 404
        assert principal_client.post(edit_url(school), form_data()).status_code == 404
        assert principal_client.post(action_url(school, "submit")).status_code == 404
    assert stats_of(school_a2).status == Status.DRAFT


def test_principal_cannot_change_the_registry(principal_client: Client, school_a1: School) -> None:
    response = principal_client.get(reverse("schools:school_edit", args=[school_a1.code]))
    assert response.status_code in (403, 404)
    response = principal_client.post(
        reverse("schools:school_create", args=[school_a1.district.code]),
        {
            "code": "1101010099",
            "name": "校长登记",
            "school_type": "primary",
            "ownership": "public",
            "county_run": "1",
            "area_type": "urban",
            "valid_from": YEAR,
        },
    )
    assert response.status_code in (403, 404)
    assert not School.objects.filter(code="1101010099").exists()


# --- inspector --------------------------------------------------------------------------------


def test_inspector_reads_the_district_pages(inspector_client: Client, school_a1: School, school_a2: School) -> None:
    save_statistics(school_a1)
    response = inspector_client.get(list_url(school_a1.district))
    assert response.status_code == 200
    assert "甲县城关第一小学" in text(response) and "甲县实验初级中学" in text(response)
    assert "登记学校" not in text(response)  # no registry button for a read-only role
    response = inspector_client.get(detail_url(school_a1))
    assert response.status_code == 200
    assert "600" in text(response)


def test_inspector_gets_403_on_every_write(
    inspector_client: Client, school_a1: School, school_a2: School, bureau_user: User
) -> None:
    services.statistics_submit(stats=save_statistics(school_a1), user=bureau_user)
    save_statistics(school_a2, school_type="junior")
    district = school_a1.district
    before = (
        list(AnnualStatistics.objects.order_by("id").values()),
        list(SchoolVersion.objects.order_by("id").values()),
        School.objects.count(),
    )
    writes = [
        (edit_url(school_a2), form_data(books=1)),
        (action_url(school_a2, "submit"), {}),
        (action_url(school_a1, "approve"), {}),
        (action_url(school_a1, "reopen"), {"reason": "督学退回"}),
        (reverse("schools:school_edit", args=[school_a1.code]), {"name": "改名"}),
        (reverse("schools:school_create", args=[district.code]), {"code": "1101010099", "name": "新校"}),
    ]
    for url, data in writes:
        assert inspector_client.post(url, data).status_code == 403, url
    assert inspector_client.get(edit_url(school_a2)).status_code == 403
    after = (
        list(AnnualStatistics.objects.order_by("id").values()),
        list(SchoolVersion.objects.order_by("id").values()),
        School.objects.count(),
    )
    assert after == before


# --- registry pages ---------------------------------------------------------------------------


def test_bureau_user_registers_a_teaching_point_with_its_parent(bureau_client: Client, school_a1: School) -> None:
    url = reverse("schools:school_create", args=[school_a1.district.code])
    data = {
        "code": "1101010031",
        "name": "后沟村教学点",
        "school_type": "teaching_point",
        "ownership": "public",
        "county_run": "1",
        "area_type": "rural",
        "valid_from": YEAR,
    }
    response = bureau_client.post(url, data)
    assert response.status_code == 200
    assert "教学点必须填写所属学校" in text(response)
    assert not School.objects.filter(code="1101010031").exists()

    response = bureau_client.post(url, {**data, "parent": school_a1.pk})
    assert response.status_code == 302
    point = School.objects.get(code="1101010031")
    assert point.versions.get().parent == school_a1


def test_bureau_user_records_a_type_change_from_a_year(bureau_client: Client, school_a1: School) -> None:
    url = reverse("schools:school_edit", args=[school_a1.code]) + f"?year={YEAR + 1}"
    form = bureau_client.get(url)
    assert form.status_code == 200
    data = {
        "name": "甲县城关九年一贯制学校",
        "school_type": "nine_year",
        "ownership": "public",
        "county_run": "1",
        "area_type": "urban",
        "valid_from": YEAR + 1,
        "note": "增设初中部",
    }
    assert bureau_client.post(url, data).status_code == 302
    versions = list(school_a1.versions.order_by("valid_from").values_list("valid_from", "school_type"))
    assert versions == [(YEAR, "primary"), (YEAR + 1, "nine_year")]
    page = text(bureau_client.get(detail_url(school_a1)))
    assert "变更记录" in page and "增设初中部" in page


def test_school_page_shows_its_years_side_by_side(bureau_client: Client, district_a: District) -> None:
    school = make_school(district_a, "1101010007", "甲县双年小学", year=YEAR - 1)
    save_statistics(school, YEAR - 1, students_primary=580, classes_primary=15, max_class_size_primary=40)
    save_statistics(school, YEAR, students_primary=612, classes_primary=15, max_class_size_primary=41)
    body = text(bureau_client.get(detail_url(school)))
    assert f"{YEAR - 1}—{YEAR}" in body and f"{YEAR}—{YEAR + 1}" in body
    row = body.split("小学在校生数")[1].split("</tr>")[0]
    assert row.index("580") < row.index("612")


def test_school_list_shows_completeness_and_status(
    bureau_client: Client, school_a1: School, school_a2: School, bureau_user: User
) -> None:
    services.statistics_submit(stats=save_statistics(school_a1), user=bureau_user)
    body = text(bureau_client.get(list_url(school_a1.district)))
    rows = body.split('id="school-list"')[1].split("<tr>")
    row_a1 = next(r for r in rows if school_a1.code in r)
    row_a2 = next(r for r in rows if school_a2.code in r)
    assert "100%" in row_a1 and "已提交" in row_a1
    assert "0%" in row_a2 and "未填报" in row_a2


def test_school_list_queries_do_not_grow_with_the_number_of_schools(
    bureau_client: Client, district_a: District, django_assert_max_num_queries: Any
) -> None:
    def add_schools(start: int, count: int) -> None:
        for n in range(start, start + count):
            if n % 5 == 4:  # every fifth unit is a teaching point under the first school
                parent = School.objects.get(code="1101010100")
                school = make_school(
                    district_a, f"11010101{n:02d}", f"甲县第{n}教学点", "teaching_point", parent=parent
                )
            else:
                school = make_school(district_a, f"11010101{n:02d}", f"甲县第{n}小学")
            save_statistics(school)

    add_schools(0, 5)
    with CaptureQueriesContext(connection) as five:
        response = bureau_client.get(list_url(district_a))
    assert response.status_code == 200
    assert text(response).count("甲县第") == 5

    add_schools(5, 20)
    with django_assert_max_num_queries(len(five)):
        response = bureau_client.get(list_url(district_a))
    assert text(response).count("甲县第") == 25
