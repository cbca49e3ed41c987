"""Browser test of issue #5: an inspector logs in, asks for the county report, watches its
progress on the page (the status document polled by static/reports/jobs.js) and downloads it;
the file is a PDF with the county's name in its text.

The render runs in a background thread started a moment after the request (standing in for a
Celery worker), so the page really shows the job queued or rendering before it is done.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.models import Role, User
from indicators.services import balance_recompute, profile_install_defaults
from reports import services as report_services
from schools import services
from tests.factories import values_for

YEAR = 2025
PASSWORD = "e2e-report-5566"
DISTRICT = ("130997", "清溪报告测试县")
SCHOOLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("1309970001", "清溪县实验小学", "primary", {}),
    ("1309970002", "清溪县东关小学", "primary", {"sports_area": "3000", "books": 12000}),
    ("1309970003", "清溪县柳湾小学", "primary", {"students_primary": 420, "classes_primary": 10}),
    ("1309970004", "清溪县第一初级中学", "junior", {}),
    ("1309970005", "清溪县第二初级中学", "junior", {"multimedia_rooms": 6}),
]


@pytest.fixture
def county(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    profile_install_defaults()  # flushed by earlier transactional tests
    district = services.district_get_or_create(code=DISTRICT[0], name=DISTRICT[1], province="河北省")
    bureau = User.objects.create_user(
        username="bureau-report-e2e", password=PASSWORD, role=Role.BUREAU, district=district
    )
    for code, name, school_type, overrides in SCHOOLS:
        school = services.school_create(
            district=district, code=code, year=YEAR, name=name, school_type=school_type, user=bureau
        )
        stats = services.statistics_save(
            school=school, year=YEAR, raw=values_for(school_type, **overrides), user=bureau
        ).statistics
        services.statistics_submit(stats=stats, user=bureau)
        services.statistics_approve(stats=stats, user=bureau)
    balance_recompute(districts=[district], year=YEAR)
    inspector = User.objects.create_user(username="inspector-report-e2e", password=PASSWORD, role=Role.INSPECTOR)
    inspector.inspected_districts.add(district)
    return {"district": district, "inspector": inspector}


@pytest.fixture
def worker_thread(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """Render queued jobs in a thread 1.5 s after the request, like a worker picking them up."""
    threads: list[threading.Thread] = []

    def enqueue(job_id: int) -> None:
        def run() -> None:
            try:
                time.sleep(1.5)
                report_services.report_render(job_id=job_id)
            finally:
                connection.close()

        thread = threading.Thread(target=run, daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(report_services, "_enqueue", enqueue)
    return threads


def test_inspector_requests_watches_and_downloads_the_county_report(
    page: Page,
    live_server: Any,
    county: dict[str, Any],
    worker_thread: list[threading.Thread],
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    base = live_server.url
    page.goto(f"{base}{reverse('login')}")
    page.locator("input[name=username]").fill("inspector-report-e2e")
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="报告", exact=True).first.click()
    expect(page.locator("h1")).to_contain_text("清溪报告测试县")
    page.locator("#id_kind").select_option("county")
    page.locator("#id_profile").select_option("quality-2017")
    page.locator("#id_fmt").select_option("pdf")
    page.locator("#request-report").click()
    row = page.locator("tr.report-job").first
    expect(row.locator(".job-label")).to_have_text(["排队中"], timeout=5000)
    expect(row.locator("progress")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "report-queued.png"), full_page=True)
    expect(row.locator(".job-label")).to_have_text("已完成", timeout=60_000)
    expect(row.locator("progress")).to_be_hidden()
    page.screenshot(path=str(screenshot_dir / "report-done.png"), full_page=True)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="下载").click()
    download = download_info.value
    assert download.suggested_filename == "130997_2025_督导评估报告_quality-2017.pdf"
    path = tmp_path / "report.pdf"
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "清溪报告测试县" in text
    for thread in worker_thread:
        thread.join(timeout=30)
