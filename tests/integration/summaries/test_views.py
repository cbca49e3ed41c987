"""The summary editor: versions, refusals that save nothing, who may write, and a school's summary
submitted with its annual progress report."""

from __future__ import annotations

import io

import docx
import pytest
from django.test import Client
from django.urls import reverse

from core.models import User
from plans import services as plan_services
from plans.models import SECTION_FIELDS, AnnualProgress, PlanArea, ReviewStatus
from summaries.models import SummaryVersion, WorkSummary
from tests.conftest import login
from tests.factories import YEAR
from tests.integration.summaries.conftest import County

pytestmark = pytest.mark.django_db


def page(county: County) -> str:
    return reverse("summaries:county", args=[county.district.code, YEAR])


def save(client: Client, url: str, base: int, **blocks: str) -> object:
    data = {"action": "save", "base": str(base), **{f"block-{k}": v for k, v in blocks.items()}}
    return client.post(url, data)


def test_the_draft_is_shown_with_its_figures_and_nothing_is_saved_until_asked(
    county: County, bureau_client: Client
) -> None:
    response = bureau_client.get(page(county))
    body = response.content.decode()
    assert response.status_code == 200
    assert "甲测试县2025—2026学年义务教育均衡发展工作总结" in body  # the preview, filled in
    assert "{{小学生均体育运动场馆面积差异系数}}" in body and "0.705" in body  # the legend
    assert not WorkSummary.objects.exists()


def test_each_save_is_a_new_version_and_an_old_one_can_be_restored(county: County, bureau_client: Client) -> None:
    url = page(county)
    assert save(bureau_client, url, 0, intro="第一稿。").status_code == 302  # type: ignore[attr-defined]
    assert save(bureau_client, url, 1, intro="第二稿。").status_code == 302  # type: ignore[attr-defined]
    versions = SummaryVersion.objects.filter(summary__district=county.district).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    old = bureau_client.get(f"{url}?version=1").content.decode()
    assert "第一稿。" in old and "这是旧版本" in old
    response = bureau_client.post(url, {"action": "restore", "version": "1"})
    assert response.status_code == 302
    latest = SummaryVersion.objects.filter(summary__district=county.district).order_by("-number").first()
    assert latest is not None and latest.number == 3 and latest.note == "恢复第 1 版"
    intro = next(b for b in latest.blocks if b["id"] == "intro")
    assert intro["text"] == "第一稿。"
    restored = docx.Document(io.BytesIO(bureau_client.get(f"{url}download.docx?version=3").content))
    assert "第一稿。" in [p.text for p in restored.paragraphs]


def test_an_unknown_figure_a_stale_base_or_no_change_saves_nothing_and_keeps_the_text(
    county: County, bureau_client: Client
) -> None:
    url = page(county)
    response = save(bureau_client, url, 0, intro="全县{{没有这项}}所学校。")
    body = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "无法识别的数据项" in body and "全县{{没有这项}}所学校。" in body  # nothing typed is lost
    assert not SummaryVersion.objects.exists()

    assert save(bureau_client, url, 0, intro="甲的修改。").status_code == 302  # type: ignore[attr-defined]
    stale = save(bureau_client, url, 0, intro="乙同时的修改。")  # started from the draft, version 1 exists
    assert stale.status_code == 400  # type: ignore[attr-defined]
    assert "已有人保存了第 1 版" in stale.content.decode() and "乙同时的修改。" in stale.content.decode()  # type: ignore[attr-defined]
    same = save(bureau_client, url, 1, intro="甲的修改。")
    assert same.status_code == 400 and "没有修改" in same.content.decode()  # type: ignore[attr-defined]
    assert SummaryVersion.objects.count() == 1


def test_inspectors_read_and_download_but_do_not_write(
    county: County, inspector: User, other_bureau_user: User
) -> None:
    client = login(inspector)
    assert client.get(page(county)).status_code == 200
    assert client.get(f"{page(county)}download.pdf").content.startswith(b"%PDF")
    assert save(client, page(county), 0, intro="督学的修改").status_code == 403  # type: ignore[attr-defined]
    assert login(other_bureau_user).get(page(county)).status_code == 404
    assert not WorkSummary.objects.exists()


def _progress_for(county: County, principal: User, bureau: User) -> AnnualProgress:
    school = county.schools["1101010001"]
    plan = plan_services.plan_create(school=school, start_year=YEAR - 1, title="城关一小三年发展规划", user=principal)
    plan = plan_services.plan_save_sections(
        plan=plan, data=dict.fromkeys(SECTION_FIELDS, "规划内容"), user=principal, expected_revision=plan.revision
    )
    goal = plan_services.goal_save(plan=plan, area=PlanArea.objects.order_by("order", "id")[0], title="提升师资")
    plan_services.target_save(goal=goal, name="骨干教师数", values={str(y): 10 for y in plan.years}, unit="人")
    plan = plan_services.plan_approve(plan=plan_services.plan_submit(plan=plan, user=principal), user=bureau)
    progress = plan_services.progress_open(plan=plan, year=YEAR, user=principal)
    items = {item.pk: {"actual": "9", "narrative": "新增 1 名骨干教师"} for item in progress.items.all()}
    return plan_services.progress_save(
        progress=progress,
        items=items,
        summary="本学年总体按计划推进。",
        user=principal,
        expected_revision=progress.revision,
    )


def test_a_school_summary_goes_to_the_bureau_with_the_annual_progress(
    county: County, principal: User, bureau_user: User
) -> None:
    url = reverse("summaries:school", args=["1101010001", YEAR])
    client = login(principal)
    assert client.post(url, {"action": "submit"}).status_code == 302  # nothing saved yet: refused, said
    assert not WorkSummary.objects.filter(status="submitted").exists()
    assert save(client, url, 0, intro="我校本学年自评如下。").status_code == 302  # type: ignore[attr-defined]
    summary = WorkSummary.objects.get(school__code="1101010001", year=YEAR)

    # No progress report yet: refused with the reason, nothing changed.
    response = client.post(url, {"action": "submit"}, follow=True)
    assert "本学年尚无年度自评" in response.content.decode()
    summary.refresh_from_db()
    assert summary.status == WorkSummary.Status.DRAFT

    progress = _progress_for(county, principal, bureau_user)
    assert progress.status == ReviewStatus.DRAFT
    assert login(bureau_user).post(url, {"action": "submit"}).status_code == 403  # the school's own words
    assert client.post(url, {"action": "submit"}).status_code == 302
    summary.refresh_from_db()
    progress.refresh_from_db()
    assert summary.status == WorkSummary.Status.SUBMITTED and summary.progress == progress
    assert progress.status == ReviewStatus.SUBMITTED
    # The progress report's own words and figures are in the summary.
    text = client.get(f"{url}download.docx").content
    assert text.startswith(b"PK")
    assert "本学年总体按计划推进。" in client.get(url).content.decode()

    # Locked while the bureau reviews; editable again once the progress report is returned.
    assert save(client, url, 1, intro="提交后的修改。").status_code == 400  # type: ignore[attr-defined]
    plan_services.progress_review(progress=progress, user=bureau_user, approve=False, comment="请补充佐证")
    assert save(client, url, 1, intro="退回后的修改。").status_code == 302  # type: ignore[attr-defined]
    summary.refresh_from_db()
    assert summary.status == WorkSummary.Status.DRAFT and summary.versions.count() == 2
