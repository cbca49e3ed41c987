"""Demo data of the county assessment, built through the services (called from demo/county.py).

For the demo county's latest school year: entered figures for most checklist items (a few left
out, one rotation figure below its standard), a survey with a few hundred answered
questionnaires, the problem list synced from the stored results, and a few problems the bureau
added by hand. Deterministic for a given seed and idempotent (a second call adds nothing).
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction

from assessment import selectors, services
from assessment.models import Problem, SurveyLink
from assessment.problems import services as problem_services
from assessment.survey import selectors as survey_selectors
from assessment.survey import services as survey_services
from core import access
from core.models import User
from schools.models import AnnualStatistics, District

# Entered figures (input key -> text) per item; G02, Q05 and Q09 are left for the bureau to enter.
DEMO_FIGURES: dict[str, dict[str, str]] = {
    "G01": {"met": "true"},
    "G06": {"met": "true"},
    "G07": {"value": "6350"},
    "G08": {"teacher_pay": "98600", "civil_servant_pay": "97200", "merit_pay": "true"},
    "G09": {"value": "100"},
    "G10": {"met": "true"},
    "G11": {"eligible": "1260", "rotated": "141", "backbone_rotated": "25"},  # 骨干 17.7 % < 20 %
    "G12": {"value": "100"},
    "G13": {"primary": "100", "junior": "96.5"},
    "G14": {"value": "55", "rural": "true"},
    "G15": {"value": "88.4", "care": "true"},
    "Q02": {"value": "96.2"},
    "Q03": {"met": "true"},
    "Q04": {"value": "100"},
    "Q06": {"met": "true"},
    "Q07": {"met": "true"},
    "Q08": {"met": "true"},
    "V01": {"met": "true"},
    "V02": {"met": "true"},
    "V03": {"met": "true"},
    "V04": {"met": "true"},
    "V05": {"met": "true"},
}
NOTES = {"G11": "骨干教师交流比例不足,已列入下学年交流计划。", "G08": "数据来源:县人社局2025年工资统计。"}

# Respondents per questionnaire: how many answer through a school link vs the district link.
SCHOOL_SOCIAL = 350  # parents (and a few others) through schools' 社会卷
DISTRICT_SOCIAL = 45  # 人大代表, 政协委员, other residents
STAFF = 80
STUDENT = 150
# Probability of each option (5 非常满意 … 1 不满意): about 88 % positive on the overall question.
WEIGHTS = {"5": 0.52, "4": 0.36, "3": 0.08, "2": 0.03, "1": 0.01}


def _latest_year(district: District) -> int | None:
    return (
        AnnualStatistics.objects.filter(school__district=district)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )


def _answer(rng: random.Random) -> str:
    return rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]


def _respond(link: SurveyLink, rng: random.Random, group: str, when: datetime.datetime) -> None:
    definition = survey_services.questionnaire_of(link)
    raw: dict[str, Any] = {"group": group}
    if definition.get("asks_grade") and group in ("parent", "student"):
        raw["grade"] = str(rng.choice(definition["grades"]))
    if link.school is None:
        raw["area"] = rng.choices(["urban", "town", "rural"], weights=[4, 3, 3])[0]
    for question in definition["questions"]:
        raw[f"q_{question['key']}"] = _answer(rng)
    respondent = survey_services.respondent_token_issue(link=link)
    submitted = respondent.issued_at + datetime.timedelta(seconds=rng.randint(60, 400))
    survey_services.response_submit(token=respondent.token, raw=raw, link=link, now=max(submitted, when))


def _seed_survey(district: District, year: int, user: User | None, rng: random.Random) -> None:
    if survey_selectors.survey_get(district, year) is not None:
        return
    survey = survey_services.survey_open(district=district, year=year, user=user)
    links = list(SurveyLink.objects.filter(survey=survey).select_related("survey", "school"))
    by_kind: dict[str, list[SurveyLink]] = {"social": [], "staff": [], "student": []}
    district_link = None
    for link in links:
        if link.school is None:
            district_link = link
        else:
            by_kind[link.questionnaire].append(link)
    start = survey.opened_at
    for n in range(SCHOOL_SOCIAL):
        group = "parent" if n % 25 else "resident"
        _respond(rng.choice(by_kind["social"]), rng, group, start)
    if district_link is not None:
        for n in range(DISTRICT_SOCIAL):
            _respond(district_link, rng, ("npc", "cppcc", "resident")[n % 3], start)
    for n in range(STAFF):
        _respond(rng.choice(by_kind["staff"]), rng, "principal" if n % 10 == 0 else "teacher", start)
    for _n in range(STUDENT):
        _respond(rng.choice(by_kind["student"]), rng, "student", start)


@transaction.atomic
def seed_assessment(district: District, seed: int = 0) -> None:
    """Entered figures, a survey with a few hundred responses and the problem list for the demo.

    Uses the district's latest school year with statistics; does nothing without statistics.
    """
    year = _latest_year(district)
    if year is None:
        return
    services.checklist_install_defaults()
    rng = random.Random(seed)
    user = access.bureau_staff_of(district.pk).first()
    profile = selectors.district_profile(district)
    checklist = selectors.county_checklist(district, year, profile) if profile is not None else None
    if checklist is not None:
        for key, values in DEMO_FIGURES.items():
            item = checklist.checklist.item(key)
            if item is None or item.judge != "entered" or key in selectors.entries_for(district, year):
                continue
            services.item_entry_save(
                district=district, year=year, item=item, raw=values, note=NOTES.get(key, ""), user=user
            )
    _seed_survey(district, year, user, rng)
    problem_services.problems_sync(district=district, year=year)
    if Problem.objects.filter(district=district, source=Problem.Source.MANUAL).exists():
        return
    deadline = problem_services.default_deadline(year)
    problem_services.problem_create(
        district=district,
        year=year,
        title="部分学校功能室使用记录不完整",
        detail="督学责任区检查发现:3 所乡村学校音乐、美术专用教室无使用记录。",
        owner="县教育局基础教育股",
        deadline=deadline,
        school=None,
        user=user,
    )
    in_progress = problem_services.problem_create(
        district=district,
        year=year,
        title="城区学校课后服务覆盖不足",
        detail="城区小学课后服务参与率 72%,低于县定 90% 目标。",
        owner="城区各小学",
        deadline=deadline,
        school=None,
        user=user,
    )
    problem_services.problem_update(
        problem=in_progress, owner=in_progress.owner, deadline=deadline, state="in_progress"
    )
    done = problem_services.problem_create(
        district=district,
        year=year,
        title="教学点安全通道标识缺失",
        detail="2 个教学点安全疏散标识缺失。",
        owner="相关教学点",
        deadline=deadline,
        school=None,
        user=user,
    )
    problem_services.problem_close(problem=done, note="已补齐疏散标识并拍照存档。", user=user)
