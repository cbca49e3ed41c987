"""The planner on a county in the database: the command's JSON, the unit-cost table, the page,
adoption, the county plan's targets, the XLSX, the API and the PDF appendix, each for the right
people only (bureau staff of the district run and adopt; inspectors read; another county's staff
see nothing)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from openpyxl import load_workbook

from core.models import User
from core.revisions import RevisionRequired
from indicators.formulas import Profile
from indicators.selectors import county_inputs
from indicators.whatif import Change, apply_changes
from planner.models import AdoptedPlan, UnitCost
from planner.services import profile_for, unit_costs_save
from plans.models import CountyTarget
from plans.services.county_plan import county_plan_save
from schools.models import District, School
from tests.conftest import login
from tests.factories import YEAR, save_statistics
from tests.unit.planner.test_planner import reference_passes

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(district_a: District, school_a1: School, school_a2: School) -> District:
    save_statistics(school_a1)
    # A junior school short of multimedia rooms, sports ground and 骨干 teachers.
    save_statistics(school_a2, school_type="junior", multimedia_rooms=5, sports_area="3000", backbone_teachers_junior=2)
    return district_a


def _plan_json(district: District) -> dict[str, object]:
    out = io.StringIO()
    call_command(
        "plan_to_pass",
        "--district",
        district.code,
        "--year",
        str(YEAR),
        "--profile",
        "quality-2017",
        "--json",
        stdout=out,
    )
    text = out.getvalue().strip()
    assert text.count("\n") == 0  # exactly one JSON object
    data: dict[str, object] = json.loads(text)
    return data


def test_the_command_prints_one_plan_that_passes_on_the_county_figures(county: District) -> None:
    data = _plan_json(county)
    assert {"changes", "cost_yuan", "naive_cost_yuan", "lower_bound_yuan", "passes"} <= set(data)
    assert data["passes"] is True
    records = county_inputs([county.pk], YEAR)[county.pk].records
    stored = {r.school_code: r.stats for r in records}
    changes = []
    for c in data["changes"]:  # type: ignore[attr-defined]
        assert c["from"] == pytest.approx(stored[c["school_code"]][c["field"]])
        changes.append(Change(c["school_code"], c["field"], c["from"], c["to"]))
    profile = profile_for(county, "quality-2017")
    assert not reference_passes(records, profile)
    assert reference_passes(apply_changes(records, changes), profile)
    assert data["lower_bound_yuan"] <= data["cost_yuan"] <= data["naive_cost_yuan"]  # type: ignore[operator]


def test_a_budget_too_small_is_named(county: District) -> None:
    out = io.StringIO()
    call_command(
        "plan_to_pass",
        "--district",
        county.code,
        "--year",
        str(YEAR),
        "--profile",
        "quality-2017",
        "--budget",
        "1000",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["passes"] is False and data["binding"] == "budget" and data["cost_yuan"] <= 1000


def test_negative_unit_costs_are_refused_and_nothing_is_saved(county: District, bureau_user: User) -> None:
    values = dict.fromkeys(
        (
            "teaching_area_m2",
            "sports_hall_m2",
            "sports_ground_m2",
            "equipment_yuan",
            "multimedia_room",
            "computer",
            "book",
            "teacher_primary_year",
            "teacher_junior_year",
            "transfer",
            "backbone_training",
        ),
        1,
    )
    with pytest.raises(ValidationError) as error:
        unit_costs_save(district=county, values={**values, "transfer": -5}, expected_revision=None, user=bureau_user)
    assert "不能为负数" in str(error.value)
    assert not UnitCost.objects.exists()
    row = unit_costs_save(district=county, values=values, expected_revision=None, user=bureau_user)
    assert row.revision == 1
    with pytest.raises(RevisionRequired):
        unit_costs_save(district=county, values=values, expected_revision=None, user=bureau_user)
    client = login(bureau_user)
    response = client.post(f"/districts/{county.code}/planner/costs/", {**values, "book": "-3", "revision": "1"})
    assert response.status_code == 400
    assert "不能为负数" in response.content.decode()
    assert UnitCost.objects.get().book == 1


def test_bureau_runs_adopts_exports_and_sets_the_county_targets(
    county: District, bureau_user: User, inspector: User, other_bureau_user: User
) -> None:
    page = f"/districts/{county.code}/planner/"
    client = login(bureau_user)
    assert client.get(page).status_code == 200
    ran = client.post(page, {"year": YEAR, "profile": "quality-2017", "start_year": YEAR + 1, "action": "run"})
    assert ran.status_code == 200 and 'id="plan-cost"' in ran.content.decode()
    assert not AdoptedPlan.objects.exists()
    plan = county_plan_save(district=county, start_year=YEAR + 1, title="三年推进计划")
    adopted = client.post(
        page,
        {"year": YEAR, "profile": "quality-2017", "start_year": YEAR + 1, "budget_0": "", "action": "adopt"},
    )
    assert adopted.status_code == 302
    stored = AdoptedPlan.objects.get()
    assert stored.content["passes"] is True and stored.content["schedule"]["years"][0]["year"] == YEAR + 1
    targets = client.post(
        page, {"year": YEAR, "profile": "quality-2017", "action": "county_targets", "revision": plan.revision}
    )
    assert targets.status_code == 302
    share = CountyTarget.objects.get(plan=plan, kind="compliance_share", year=YEAR + 1)
    assert float(share.value) == 100.0
    assert CountyTarget.objects.filter(plan=plan, kind="cv").exists()

    export = client.get(f"/districts/{county.code}/planner/plan.xlsx?year={YEAR}&profile=quality-2017")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    assert book.worksheets[0].max_row > 3

    # Inspectors read the adopted plan but may not run or adopt; another county sees nothing.
    reader = login(inspector)
    assert reader.get(page + f"?year={YEAR}&profile=quality-2017").status_code == 200
    assert reader.post(page, {"year": YEAR, "profile": "quality-2017", "action": "run"}).status_code == 403
    assert reader.get(f"/api/v1/planner/{county.code}/?year={YEAR}").json()["plan"]["passes"] is True
    assert reader.post(f"/api/v1/planner/{county.code}/run/", {"year": YEAR}).status_code == 403
    stranger = login(other_bureau_user)
    assert stranger.get(page).status_code == 404
    assert stranger.get(f"/districts/{county.code}/planner/plan.xlsx?year={YEAR}").status_code == 404
    assert stranger.get(f"/api/v1/planner/{county.code}/?year={YEAR}").status_code == 404
    assert stranger.get(f"/districts/{county.code}/planner/costs/").status_code == 404

    api = client.post(
        f"/api/v1/planner/{county.code}/run/",
        {"year": YEAR, "profile": "quality-2017"},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["passes"] is True


def test_the_county_report_carries_the_adopted_plan_as_its_appendix(county: District, bureau_user: User) -> None:
    from indicators.services import balance_recompute
    from reports.selectors import county_report_context

    balance_recompute(districts=[county], year=YEAR)
    assert county_report_context(district=county, year=YEAR, profile_name="quality-2017")["rectification"] is None
    login(bureau_user).post(
        f"/districts/{county.code}/planner/",
        {"year": YEAR, "profile": "quality-2017", "start_year": YEAR + 1, "action": "adopt"},
    )
    appendix = county_report_context(district=county, year=YEAR, profile_name="quality-2017")["rectification"]
    assert appendix is not None and appendix["rows"] and appendix["passes"]


def test_profile_for_refuses_a_profile_the_district_does_not_use(county: District) -> None:
    with pytest.raises(ValidationError):
        profile_for(county, "no-such-profile")
    assert isinstance(profile_for(county, "basic-2012"), Profile)


def test_the_plan_opens_as_a_scenario(county: District, bureau_user: User) -> None:
    from scenarios.models import Scenario

    response = login(bureau_user).post(
        f"/districts/{county.code}/planner/",
        {"year": YEAR, "profile": "quality-2017", "start_year": YEAR + 1, "action": "scenario"},
    )
    assert response.status_code == 302
    scenario = Scenario.objects.get()
    assert response["Location"].endswith(f"/scenarios/{scenario.pk}/")
    assert scenario.changes and scenario.district_id == county.pk


def test_a_school_plan_takes_its_part_of_the_schedule_as_targets(
    county: District, school_a2: School, bureau_user: User, other_principal: User
) -> None:
    from plans.models import PlanTarget
    from plans.services.plan import plan_create

    page = f"/districts/{county.code}/planner/"
    login(bureau_user).post(page, {"year": YEAR, "profile": "quality-2017", "start_year": YEAR + 1, "action": "adopt"})
    principal = login(other_principal)  # the principal of school_a2
    standing = f"/schools/{school_a2.code}/standing/"
    # No plan from the adopted plan's first year yet: the page offers to create it, with that year.
    before = principal.get(standing).content.decode()
    assert 'id="plan-part-needs-plan"' in before and 'id="take-plan-part"' not in before
    assert f"/plans/new/?start_year={YEAR + 1}" in before
    create = principal.get(f"/plans/new/?start_year={YEAR + 1}")
    assert create.context["form"].initial["start_year"] == YEAR + 1
    plan = plan_create(school=school_a2, start_year=YEAR + 1, title="三年发展规划", user=None)
    assert principal.get(page).status_code == 404  # a principal does not see the county's pages
    assert login(bureau_user).post(f"/schools/{school_a2.code}/planner-targets/").status_code == 403
    # The principal's own page (我的学校) lists the school's lines and offers the button; bureau
    # staff, who do not write the school's plan, see the lines without it.
    mine = principal.get(standing).content.decode()
    assert 'id="plan-part"' in mine and 'id="take-plan-part"' in mine and "新建网络多媒体教室" in mine
    theirs = login(bureau_user).get(standing)
    assert theirs.status_code == 200
    assert 'id="plan-part"' in theirs.content.decode() and 'id="take-plan-part"' not in theirs.content.decode()
    taken = principal.post(f"/schools/{school_a2.code}/planner-targets/")
    assert taken.status_code == 302 and taken["Location"].endswith(f"/plans/{plan.pk}/edit/")
    targets = PlanTarget.objects.filter(goal__plan=plan)
    keys = {t.metric for t in targets}
    assert "indicator:multimedia_rooms_per100" in keys
    mm = targets.get(metric="indicator:multimedia_rooms_per100")
    assert mm.level == "junior" and mm.values[str(YEAR + 1)] >= 2.4
    # Indicators the plan leaves alone are no targets (2017 has 7; the school misses 3).
    assert len(keys) < 7


def test_the_page_in_english_shows_no_chinese_but_names(county: District, bureau_user: User) -> None:
    import re

    client = login(bureau_user)
    client.cookies["django_language"] = "en"
    page = f"/districts/{county.code}/planner/"
    response = client.post(page, {"year": YEAR, "profile": "quality-2017", "start_year": YEAR + 1, "action": "run"})
    html = response.content.decode()
    assert "Find the cheapest plan" in html and "Plan cost" in html
    names = [county.name, *(r.school_name for r in county_inputs([county.pk], YEAR)[county.pk].records)]
    for name in names:
        html = html.replace(name, "")
    body = html.split("<main", 1)[-1]
    # Names aside, the body shows no Chinese (rule-profile labels are data shown through |tr).
    chinese = set(re.findall(r"[\u4e00-\u9fff]+", body))
    assert not chinese, chinese
    costs = client.get(f"/districts/{county.code}/planner/costs/").content.decode()
    assert "Teaching rooms (yuan/m²)" in costs


def test_the_page_opens_on_the_countys_profile_and_on_years_to_come(county: District, bureau_user: User) -> None:
    # A county plan that started before the data's year: its years gone by are not proposed.
    county_plan_save(district=county, start_year=YEAR - 2, title="三年推进计划")
    response = login(bureau_user).get(f"/districts/{county.code}/planner/")
    assert response.context["profile"] == "quality-2017"  # the 2017 method, not the first name
    assert response.context["start_year"] == YEAR + 1
    later = county_plan_save(district=county, start_year=YEAR + 2, title="下一轮三年推进计划")
    assert later.start_year == YEAR + 2
    assert login(bureau_user).get(f"/districts/{county.code}/planner/").context["start_year"] == YEAR + 2


def test_a_school_that_only_sends_teachers_has_lines_but_no_targets_to_take(
    county: District, school_a1: School, school_a2: School, principal: User
) -> None:
    """The schedule files a moved teacher under the school that receives it: the sender's page
    lists the move and says there is nothing for its plan, instead of a button that would refuse."""
    from planner.adopted import school_part
    from planner.adoption import school_target_series
    from plans.services.plan import plan_create

    profile = profile_for(county, "quality-2017")
    sender, receiver = school_a1.code, school_a2.code
    move = {
        "kind": "transfer_qualified",
        "school_code": sender,
        "school_name": "甲县城关第一小学",
        "level": "junior",
        "amount": 2,
        "unit": "人",
        "cost_yuan": 40000,
        "to_school_code": receiver,
        "to_school_name": "甲县实验初级中学",
    }
    values = {"junior": {"qualified_teachers_per100": 5.1}}
    adopted = AdoptedPlan.objects.create(
        district=county,
        year=YEAR,
        profile_name="quality-2017",
        start_year=YEAR + 1,
        cost_yuan=40000,
        content={
            "actions": [move],
            "schedule": {
                "years": [{"year": YEAR + 1, "schools": [receiver], "school_values": {receiver: values}}],
                "base_school_values": {receiver: {"junior": {"qualified_teachers_per100": 4.2}}},
            },
        },
    )
    span = {"adopted": adopted, "profile": profile, "first_year": YEAR + 1, "last_year": YEAR + 3}
    assert school_target_series(school_code=sender, **span) == {}
    assert school_target_series(school_code=receiver, **span) == {
        ("junior", "qualified_teachers_per100"): {str(YEAR + 1): 5.1}
    }
    part = school_part(adopted, sender)
    assert part is not None and part.actions[0].to_school_code == receiver and part.cost_yuan == 40000
    assert school_part(adopted, "1101019999") is None
    plan_create(school=school_a1, start_year=YEAR + 1, title="三年发展规划", user=None)
    page = login(principal).get(f"/schools/{sender}/standing/").content.decode()
    assert 'id="plan-part"' in page and "→ 甲县实验初级中学" in page
    assert 'id="plan-part-no-targets"' in page and 'id="take-plan-part"' not in page
