"""The browser import (pages, Celery job, preview, confirm), exports, templates and a new school
year, through the pages, with access for each role.

Celery runs in-process (tests/conftest.py), so the check has finished when the upload's
redirect is followed; the status endpoint is what a page polls when a worker runs it.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse
from openpyxl import load_workbook

from core.models import User
from indicators.models import BalanceResult
from indicators.results import to_json
from schools import exchange, services
from schools.models import AnnualStatistics, ImportJob, School, StatisticsEvent
from schools.spreadsheet import COLUMN_KEYS, read_table
from tests.conftest import login
from tests.factories import YEAR, primary_values
from tests.unit.exchange import files

pytestmark = pytest.mark.django_db

DISTRICT = "110101"


def text(response: Any) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    """POST, run what the view queued on commit (the Celery job, in-process), then follow."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data or {})
    if response.status_code == 302:
        return client.get(response["Location"])
    return response


def upload(client: Client, data: bytes, name: str = "统计.xlsx", year: int = YEAR) -> Any:
    url = reverse("schools:import_upload", kwargs={"district_code": DISTRICT})
    return post(client, url, {"year": year, "file": SimpleUploadedFile(name, data)})


def confirm(client: Client, job: ImportJob, data: dict[str, Any] | None = None) -> Any:
    return post(client, reverse("schools:import_confirm", kwargs={"pk": job.pk}), data)


def exported(client: Client, year: int = YEAR) -> bytes:
    url = reverse("schools:export_download", kwargs={"district_code": DISTRICT})
    response = client.get(url, {"year": year})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def set_cell(data: bytes, key: str, row: int, value: Any) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    workbook.worksheets[0].cell(row=row, column=COLUMN_KEYS.index(key) + 1, value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def current_result(school: School) -> BalanceResult:
    return BalanceResult.objects.get(district=school.district, year=YEAR, profile_name="quality-2017", is_current=True)


def last_job() -> ImportJob:
    job = ImportJob.objects.order_by("-id").first()
    assert job is not None
    return job


# --- upload, preview, confirm ------------------------------------------------------------------


def test_upload_previews_errors_by_cell_and_offers_the_marked_workbook(
    bureau_client: Client, county: dict[str, School]
) -> None:
    data = set_cell(exported(bureau_client), "students_primary", 2, "六百")
    response = upload(bureau_client, data)
    job = last_job()
    assert job.status == ImportJob.State.INVALID
    assert response.request["PATH_INFO"] == reverse("schools:import_detail", kwargs={"pk": job.pk})
    letter = "J"  # students_primary is the 10th column
    assert COLUMN_KEYS.index("students_primary") == 9
    page = text(response)
    assert f"学校统计!{letter}2" in page and "应为数字" in page and "六百" in page
    assert "确认导入" not in page

    marked = bureau_client.get(reverse("schools:import_errors", kwargs={"pk": job.pk}))
    assert marked.status_code == 200
    sheet = load_workbook(io.BytesIO(marked.content)).worksheets[0]
    assert sheet[f"{letter}2"].comment is not None and "应为数字" in sheet[f"{letter}2"].comment.text
    assert AnnualStatistics.objects.get(school=county["primary"], year=YEAR).students_primary == 600


def test_confirm_applies_records_and_recomputes(
    bureau_client: Client, bureau_user: User, county: dict[str, School], media: Path
) -> None:
    school = county["primary"]
    before = BalanceResult.objects.get(
        district=school.district, year=YEAR, profile_name="quality-2017", is_current=True
    )
    data = set_cell(exported(bureau_client), "students_primary", 2, 650)
    data = set_cell(data, "max_class_size_primary", 2, 45)
    response = upload(bureau_client, data, name="甲县2025.xlsx")
    job = last_job()
    assert job.status == ImportJob.State.CHECKED, job.report
    page = text(response)
    assert "600" in page and "650" in page and "确认导入" in page
    assert job.report["rows"][0]["changes"] == {"students_primary": [600, 650], "max_class_size_primary": [44, 45]}
    assert AnnualStatistics.objects.get(school=school, year=YEAR).students_primary == 600  # nothing saved yet

    response = confirm(bureau_client, job)
    job.refresh_from_db()
    assert job.status == ImportJob.State.APPLIED, job.message
    assert (job.confirmed_by, job.uploaded_by) == (bureau_user, bureau_user)
    assert job.applied_at is not None and job.confirmed_at is not None
    assert "已导入" in text(response)
    stats = AnnualStatistics.objects.get(school=school, year=YEAR)
    assert (stats.students_primary, stats.max_class_size_primary) == (650, 45)
    assert stats.events.order_by("-id").first().action == StatisticsEvent.Action.IMPORT  # type: ignore[union-attr]
    # The file is kept under its checksum.
    assert job.sha256 == hashlib.sha256(data).hexdigest()
    assert (media / "imports" / job.sha256).read_bytes() == data
    original = bureau_client.get(reverse("schools:import_file", kwargs={"pk": job.pk}))
    assert original.content == data
    # The county's results were recomputed from the new figures.
    after = current_result(school)
    assert after.input_fingerprint != before.input_fingerprint
    # Listed among the district's imports.
    home = bureau_client.get(reverse("schools:exchange_home", kwargs={"district_code": DISTRICT}))
    assert "甲县2025.xlsx" in text(home) and "已导入" in text(home)


def test_a_jump_reason_given_in_the_preview_is_saved(bureau_client: Client, county: dict[str, School]) -> None:
    school = county["primary"]
    data = set_cell(exported(bureau_client), "books", 2, 40000)
    upload(bureau_client, data)
    job = last_job()
    assert job.status == ImportJob.State.CHECKED
    response = confirm(bureau_client, job)  # without the reason
    job.refresh_from_db()
    assert job.status == ImportJob.State.CHECKED and "变动说明" in job.message
    assert "变动说明" in text(response)
    confirm(bureau_client, job, {f"reason:{school.code}:books": "新建图书馆"})
    job.refresh_from_db()
    assert job.status == ImportJob.State.APPLIED
    stats = AnnualStatistics.objects.get(school=school, year=YEAR)
    assert (stats.books, stats.change_reasons["books"]) == (40000, "新建图书馆")


def test_the_status_endpoint_reports_progress(bureau_client: Client, county: dict[str, School]) -> None:
    upload(bureau_client, exported(bureau_client))
    job = last_job()
    response = bureau_client.get(reverse("schools:import_status", kwargs={"pk": job.pk}))
    data = response.json()
    assert (data["status"], data["progress"], data["busy"]) == ("checked", 100, False)
    assert data["counts"]["unchanged"] == 2


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("photo.xlsx", lambda: files.PNG, "文件已损坏"),
        ("notes.pdf", lambda: b"%PDF-1.4 hello", "不是电子表格文件"),
        ("secret.xlsx", files.password_protected, "密码"),
        ("bomb.xlsx", files.zip_bomb, "压缩炸弹"),
        ("people.xlsx", lambda: files.xlsx([["张三", 3]], headers=["姓名", "年龄"]), "未找到表头"),
    ],
)
def test_hostile_or_broken_uploads_get_a_clear_message_and_change_nothing(
    bureau_client: Client, county: dict[str, School], name: str, payload: Any, message: str
) -> None:
    events = StatisticsEvent.objects.count()
    response = upload(bureau_client, payload(), name=name)
    job = last_job()
    assert job.status == ImportJob.State.REJECTED
    assert message in job.message and message in text(response)
    confirm(bureau_client, job)
    job.refresh_from_db()
    assert job.status == ImportJob.State.REJECTED
    assert StatisticsEvent.objects.count() == events


def test_an_oversized_upload_is_refused_at_once(
    bureau_client: Client, county: dict[str, School], monkeypatch: pytest.MonkeyPatch
) -> None:
    from schools import spreadsheet

    monkeypatch.setattr(spreadsheet, "MAX_UPLOAD_BYTES", 100)
    response = upload(bureau_client, b"x" * 101, name="big.csv")
    assert response.status_code == 400 and "文件过大" in text(response)
    assert not ImportJob.objects.exists()


def test_cancel_leaves_nothing_to_confirm(bureau_client: Client, county: dict[str, School]) -> None:
    upload(bureau_client, set_cell(exported(bureau_client), "books", 2, 20001))
    job = last_job()
    bureau_client.post(reverse("schools:import_cancel", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert job.status == ImportJob.State.CANCELLED
    confirm(bureau_client, job)
    assert AnnualStatistics.objects.get(school=county["primary"], year=YEAR).books == 20000


# --- export, template, round trip ------------------------------------------------------------


def test_an_export_reimports_with_no_changes(bureau_client: Client, county: dict[str, School]) -> None:
    data = exported(bureau_client)
    report = services_free_check(data)
    assert report.ready
    assert [r.outcome for r in report.rows] == ["unchanged", "unchanged"]
    assert all(not r.changes and not r.profile_changes for r in report.rows)
    # And through the browser: the preview says nothing will change.
    page = text(upload(bureau_client, data, name="export.xlsx"))
    assert "不会改变任何数据" in page


def services_free_check(data: bytes) -> Any:
    from schools import importing

    return importing.check_table(read_table(data, "export.xlsx"), district_code=DISTRICT, year=YEAR)


def test_the_round_trip_keeps_teaching_points_and_profiles(
    bureau_client: Client, county: dict[str, School], district_a: Any
) -> None:
    point = services.school_create(
        district=district_a,
        code="1101010103",
        year=YEAR,
        name="河湾教学点",
        school_type="teaching_point",
        parent=county["primary"],
        ownership="private",
        county_run=False,
        area_type="rural",
    )
    services.statistics_save(
        school=point,
        year=YEAR,
        raw=primary_values(
            students_primary=40,
            classes_primary=2,
            max_class_size_primary=21,
            teachers_primary=4,
            qualified_teachers_primary=3,
            mid_title_teachers_primary=2,
            backbone_teachers_primary=1,
            pe_art_teachers_primary=1,
            teaching_area="1234.45",
            art_room_min_area=None,
        ),
        user=None,
    )
    report = services_free_check(exported(bureau_client))
    assert report.ready and {r.outcome for r in report.rows} == {"unchanged"}, [r.to_dict() for r in report.rows]


def test_the_export_carries_the_stored_results_as_the_pages_show_them(
    bureau_client: Client, county: dict[str, School]
) -> None:
    workbook = load_workbook(io.BytesIO(exported(bureau_client)))
    assert workbook.sheetnames[:2] == ["学校统计", "填表说明"]
    result = BalanceResult.objects.get(
        district=county["primary"].district, year=YEAR, profile_name="quality-2017", is_current=True
    )
    sheet = workbook["均衡结果-quality-2017"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][5] == result.input_fingerprint
    indicator = next(r for r in rows if r[2] == "teaching_area_per_student" and r[0] == "小学")
    stored = to_json(result.outcome, full=True)["levels"]["primary"]["indicators"]["teaching_area_per_student"]
    # Stored at full precision (Excel keeps 15–16 significant digits); the page rounds for display.
    assert (indicator[3], indicator[5]) == (pytest.approx(stored["mean"], rel=1e-14), pytest.approx(stored["cv"]))
    unit_header = next(i for i, r in enumerate(rows) if r[0] == "学校标识码(评估单位)")
    codes = {r[0] for r in rows[unit_header + 1 :]}
    assert county["primary"].code in codes


def test_the_template_prefills_the_schools_with_drop_downs(bureau_client: Client, county: dict[str, School]) -> None:
    url = reverse("schools:template_download", kwargs={"district_code": DISTRICT})
    response = bureau_client.get(url, {"year": YEAR + 1})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    codes = [sheet.cell(row=r, column=COLUMN_KEYS.index("school_code") + 1).value for r in (2, 3)]
    assert codes == [county["primary"].code, county["junior"].code]
    assert sheet.cell(row=2, column=COLUMN_KEYS.index("school_type") + 1).value == "小学"
    assert sheet.cell(row=2, column=COLUMN_KEYS.index("students_primary") + 1).value is None  # YEAR + 1: empty
    assert any(dv.type == "list" for dv in sheet.data_validations.dataValidation)
    # Uploading the untouched template changes nothing (no empty records are created).
    upload(bureau_client, response.content, year=YEAR + 1)
    job = last_job()
    assert job.status == ImportJob.State.CHECKED
    assert {r["outcome"] for r in job.report["rows"]} == {"unchanged"}


def test_one_schools_workbook_for_offline_entry(
    principal_client: Client, county: dict[str, School], school_a1: School
) -> None:
    url = reverse("schools:school_workbook", kwargs={"code": school_a1.code, "year": YEAR})
    response = principal_client.get(url)
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][COLUMN_KEYS.index("school_code")] == school_a1.code
    other = reverse("schools:school_workbook", kwargs={"code": county["junior"].code, "year": YEAR})
    assert principal_client.get(other).status_code == 404


def test_the_exchange_pages_school_picker_leads_to_the_workbook(
    bureau_client: Client, county: dict[str, School]
) -> None:
    home = reverse("schools:exchange_home", kwargs={"district_code": DISTRICT})
    response = bureau_client.get(home, {"workbook": county["junior"].code, "year": str(YEAR)})
    assert response["Location"] == reverse(
        "schools:school_workbook", kwargs={"code": county["junior"].code, "year": YEAR}
    )


# --- a new school year -------------------------------------------------------------------------


def test_a_new_year_starts_from_last_years_facilities_until_confirmed(
    bureau_client: Client, county: dict[str, School]
) -> None:
    school = county["primary"]
    url = reverse("schools:year_start", kwargs={"district_code": DISTRICT})
    response = post(bureau_client, url, {"year": YEAR + 1})
    assert "2 所学校" in text(response)
    stats = AnnualStatistics.objects.get(school=school, year=YEAR + 1)
    last = AnnualStatistics.objects.get(school=school, year=YEAR)
    assert stats.unconfirmed
    assert (stats.teaching_area, stats.books, stats.music_rooms) == (last.teaching_area, last.books, last.music_rooms)
    assert stats.students_primary is None and stats.teachers_primary is None
    page = text(
        bureau_client.get(reverse("schools:school_list", kwargs={"district_code": DISTRICT}), {"year": YEAR + 1})
    )
    assert page.count("待确认") >= 2
    # Starting again changes nothing.
    bureau_client.post(url, {"year": YEAR + 1})
    assert AnnualStatistics.objects.filter(year=YEAR + 1).count() == 2
    # A person confirms one school; an import with the other's figures confirms it too.
    bureau_client.post(reverse("schools:statistics_confirm", kwargs={"code": school.code, "year": YEAR + 1}))
    assert not AnnualStatistics.objects.get(pk=stats.pk).unconfirmed
    template = bureau_client.get(
        reverse("schools:template_download", kwargs={"district_code": DISTRICT}), {"year": YEAR + 1}
    )
    upload(bureau_client, template.content, year=YEAR + 1)
    job = last_job()
    assert job.report["rows"][1]["confirms"] is True
    confirm(bureau_client, job)
    assert not AnnualStatistics.objects.filter(year=YEAR + 1, unconfirmed=True).exists()


# --- access -------------------------------------------------------------------------------------


UPLOAD = f"/districts/{DISTRICT}/exchange/upload/"
YEAR_START = f"/districts/{DISTRICT}/exchange/year-start/"


def test_the_action_urls_are_where_the_tests_post() -> None:
    assert reverse("schools:import_upload", kwargs={"district_code": DISTRICT}) == UPLOAD
    assert reverse("schools:year_start", kwargs={"district_code": DISTRICT}) == YEAR_START


def _urls(job: ImportJob) -> dict[str, str]:
    return {
        "home": reverse("schools:exchange_home", kwargs={"district_code": DISTRICT}),
        "template": reverse("schools:template_download", kwargs={"district_code": DISTRICT}),
        "export": reverse("schools:export_download", kwargs={"district_code": DISTRICT}),
        "detail": reverse("schools:import_detail", kwargs={"pk": job.pk}),
        "status": reverse("schools:import_status", kwargs={"pk": job.pk}),
        "errors": reverse("schools:import_errors", kwargs={"pk": job.pk}),
        "file": reverse("schools:import_file", kwargs={"pk": job.pk}),
    }


@pytest.fixture
def job(bureau_client: Client, county: dict[str, School]) -> ImportJob:
    upload(bureau_client, exported(bureau_client))
    return last_job()


def test_bureau_of_another_district_gets_404_everywhere(other_bureau_user: User, job: ImportJob) -> None:
    client = login(other_bureau_user)
    for name, url in _urls(job).items():
        assert client.get(url).status_code == 404, name
    assert client.post(reverse("schools:import_confirm", kwargs={"pk": job.pk})).status_code == 404
    assert (
        client.post(reverse("schools:year_start", kwargs={"district_code": DISTRICT}), {"year": YEAR + 1}).status_code
        == 404
    )
    job.refresh_from_db()
    assert job.status == ImportJob.State.CHECKED


def test_principal_gets_404_on_the_district_and_its_imports(principal_client: Client, job: ImportJob) -> None:
    for name, url in _urls(job).items():
        assert principal_client.get(url).status_code == 404, name
    assert principal_client.post(reverse("schools:import_confirm", kwargs={"pk": job.pk})).status_code == 404


def test_inspector_reads_imports_but_changes_nothing(inspector_client: Client, job: ImportJob) -> None:
    urls = _urls(job)
    for name in ("home", "detail", "status", "file"):
        assert inspector_client.get(urls[name]).status_code == 200, name
    for name in ("template", "export"):
        assert inspector_client.get(urls[name]).status_code == 403, name
    assert "确认导入" not in text(inspector_client.get(urls["detail"]))
    assert inspector_client.post(reverse("schools:import_confirm", kwargs={"pk": job.pk})).status_code == 403
    assert inspector_client.post(reverse("schools:import_cancel", kwargs={"pk": job.pk})).status_code == 403
    data = {"year": YEAR, "file": SimpleUploadedFile("a.csv", b"school_code\n")}
    assert (
        inspector_client.post(reverse("schools:import_upload", kwargs={"district_code": DISTRICT}), data).status_code
        == 403
    )
    assert (
        inspector_client.post(
            reverse("schools:year_start", kwargs={"district_code": DISTRICT}), {"year": YEAR + 1}
        ).status_code
        == 403
    )
    job.refresh_from_db()
    assert job.status == ImportJob.State.CHECKED
    assert ImportJob.objects.count() == 1


def test_the_job_check_is_idempotent(job: ImportJob) -> None:
    report = dict(job.report)
    exchange.import_job_check(job_id=job.pk)  # already checked: left as it is
    job.refresh_from_db()
    assert job.report == report and job.status == ImportJob.State.CHECKED


def test_a_confirmation_delivered_twice_applies_once(bureau_client: Client, county: dict[str, School]) -> None:
    upload(bureau_client, set_cell(exported(bureau_client), "books", 2, 21000))
    job = last_job()
    confirm(bureau_client, job)
    events = StatisticsEvent.objects.count()
    with TestCase.captureOnCommitCallbacks(execute=True):
        exchange.import_job_apply(job_id=job.pk)  # the task again (a redelivery)
    job.refresh_from_db()
    assert job.status == ImportJob.State.APPLIED
    assert StatisticsEvent.objects.count() == events


def test_a_csv_upload_names_cells_by_file_name_and_marks_them(bureau_client: Client, county: dict[str, School]) -> None:
    school = county["primary"]
    lines = [
        "学校标识码,学校名称,学校类型,小学在校生数(人),图书(册)",
        f'{school.code},甲县城关第一小学,小学,"1.200,5",20000',
    ]
    upload(bureau_client, "\n".join(lines).encode("utf-8-sig"), name="county.csv")
    job = last_job()
    assert job.status == ImportJob.State.INVALID
    (error,) = job.report["rows"][0]["errors"]
    assert error["where"] == "county.csv!D2" and "数字格式不明确" in error["message"]
    marked = bureau_client.get(reverse("schools:import_errors", kwargs={"pk": job.pk}))
    sheet = load_workbook(io.BytesIO(marked.content)).worksheets[0]
    assert sheet.title == "county.csv" and sheet["D2"].comment is not None


def test_an_unexpected_failure_while_applying_saves_nothing_and_says_so(
    bureau_client: Client, county: dict[str, School], monkeypatch: pytest.MonkeyPatch
) -> None:
    from schools import importing

    upload(bureau_client, set_cell(exported(bureau_client), "books", 2, 21000))
    job = last_job()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "import_rows", broken)
    page = text(confirm(bureau_client, job))
    job.refresh_from_db()
    assert job.status == ImportJob.State.CHECKED and "内部错误" in job.message and "内部错误" in page
    assert AnnualStatistics.objects.get(school=county["primary"], year=YEAR).books == 20000
