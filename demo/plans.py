"""Demo plans: three-year plans, annual progress and the county plan for the demo county.

Their shape follows the real school plans in ../shared/seeds: a SWOT analysis (优势, 不足,
机遇, 挑战), 办学理念与总体目标, goals by area with measures, and 保障措施. Built through the
plan services, so the workflow history is real.
"""

from __future__ import annotations

import math
from datetime import date

from core import access
from indicators import selectors as balance_selectors
from indicators import services as balance_services
from plans import services
from plans.models import PlanArea, SchoolPlan
from schools.models import District, School

PLAN_START = 2024
SCHOOLS_WITH_PLANS = ["001", "002", "006", "007", "011", "019", "020", "027", "029", "031"]

SWOT = {
    "strengths": "学校创办于上世纪七十年代,办学历史悠久,校风正、学风浓。教师队伍整体素质较高,"
    "骨干教师占比逐年提高;“养成教育”形成特色,先后获评市级规范化学校、县级文明校园。",
    "weaknesses": "校舍建设年代较早,功能教室不足;体育运动场地生均面积偏小;青年教师比例偏高,"
    "专业引领力量不足;信息化设备更新滞后,课堂应用不够深入。",
    "opportunities": "县域推进义务教育优质均衡发展,加大对学校办学条件的投入;“双减”与新课标实施为课程"
    "与教学改革提供了契机;集团化办学带来优质资源共享。",
    "challenges": "城区学位需求持续增加,大班额压力仍在;家长对优质教育的期望不断提高;"
    "教师交流轮岗与学科结构调整任务较重。",
    "philosophy": "以人为本,全面发展;让每一个孩子都得到适合的教育。",
    "overall_goal": "用三年时间,办学条件全面达到优质均衡标准,教师队伍结构持续优化,"
    "课程与课堂改革取得实效,建成学生喜欢、家长满意、社会认可的优质学校。",
    "safeguards": "成立以校长为组长的规划实施领导小组,分解年度任务,责任到人;"
    "将规划目标纳入教职工考核;争取县财政专项资金,保障校舍改造与设备更新;每学年开展自评并向教代会报告。",
}

# (area, goal, measures, [(target, metric, yearly steps from the baseline)])
GOALS: list[tuple[str, str, str, list[tuple[str, str, tuple[float, ...]]]]] = [
    (
        "办学条件",
        "改善办学条件,各项资源配置指标达到优质均衡标准",
        "实施教学楼改扩建和运动场改造工程;按标准配齐音乐、美术等专用教室;更新教学仪器设备。",
        [
            # Linked to the stored results: from the school's own figure up to the standard (or, where
            # it is met, a few per cent above it); see _toward_standard.
            ("生均教学及辅助用房面积", "indicator:teaching_area_per_student", ()),
            ("生均体育运动场馆面积", "indicator:sports_area_per_student", ()),
        ],
    ),
    (
        "教师队伍",
        "优化教师队伍结构,提高高学历和骨干教师比例",
        "实施青蓝工程,师徒结对;支持教师学历提升;争取县级以上骨干教师评选名额。",
        [("高于规定学历教师比例", "stat:qualified_rate", (1.0, 2.0, 3.0))],
    ),
    (
        "教学",
        "落实“双减”,控制班额,提高课堂效率",
        "严格按标准班额招生;推进大单元教学和作业设计改革;开展课堂教学评比。",
        [("最大班额", "stat:max_class_size", (0.0, -1.0, -2.0))],
    ),
    (
        "德育",
        "深化养成教育特色,构建三位一体育人网络",
        "开展主题班会和社会实践;建设家长学校;完善学生综合素质评价。",
        [("校本德育课程数", "", (3.0, 4.0, 5.0))],
    ),
    (
        "信息化",
        "建设智慧校园,推进信息技术与教学深度融合",
        "更新多媒体教室设备;开展教师信息技术应用能力培训;建设校本资源库。",
        [("教师信息化培训完成率", "", (80.0, 90.0, 100.0))],
    ),
]


def seed_plans(district: District) -> None:
    """Plans for ten demo schools, progress for 2024 and 2025, and the county plan."""
    if SchoolPlan.objects.filter(school__district=district).exists():
        return
    # Linked targets start from the school's own figures, read from the stored results: the
    # seeding transaction's recomputes run after its commit, so the plan years' are made now (the
    # queued ones then find them unchanged).
    for year in (PLAN_START, PLAN_START + 1):
        balance_services.balance_recompute_and_follow(districts=[district], year=year)
    standards = _standards(district)
    bureau = access.bureau_staff_of(district.pk).first()
    areas = {a.name: a for a in PlanArea.objects.all()}
    for n, suffix in enumerate(SCHOOLS_WITH_PLANS):
        school = School.objects.get(code=f"1301880{suffix}")
        name = school.versions.order_by("-valid_from").first()
        title = f"{name.name if name else school.code}三年发展规划({PLAN_START}—{PLAN_START + 2})"
        plan = services.plan_create(school=school, start_year=PLAN_START, title=title, user=None)
        services.plan_save_sections(expected_revision=plan.revision, plan=plan, data=SWOT, user=None)
        level = "junior" if suffix in ("019", "020", "031") else "primary"
        for area, goal_title, measures, targets in GOALS:
            goal = services.goal_save(plan=plan, area=areas[area], title=goal_title, measures=measures)
            for target_name, metric, steps in targets:
                unit = "门" if "课程" in target_name else ("%" if "率" in target_name else "")
                direction = "lower" if "班额" in target_name else "higher"
                if metric:
                    # Linked targets start from the school's own figure in the first plan year.
                    probe = services.target_save(
                        goal=goal, name=target_name, values={}, metric=metric, level=level, direction=direction
                    )
                    actual, _source = services.linked_actual(probe, school, PLAN_START)
                    # Round toward "met" so the first year's target is the school's own figure.
                    exact = actual if actual is not None else 0.0
                    base = math.floor(exact * 100) / 100 if direction == "higher" else math.ceil(exact * 100) / 100
                    if metric.startswith("indicator:"):
                        standard = standards.get((metric.removeprefix("indicator:"), level))
                        values = _toward_standard(base, standard)
                    else:
                        values = {str(PLAN_START + i): round(base + step, 2) for i, step in enumerate(steps)}
                    services.target_save(
                        goal=goal,
                        target=probe,
                        expected_revision=probe.revision,
                        name=target_name,
                        values=values,
                        metric=metric,
                        level=level,
                        direction=direction,
                        baseline=base,
                    )
                else:
                    values = {str(PLAN_START + i): step for i, step in enumerate(steps)}
                    services.target_save(
                        goal=goal,
                        name=target_name,
                        values=values,
                        unit=unit,
                        direction=direction,
                        baseline=steps[0] - 1,
                    )
        stage = n % 5
        plan = services.plan_submit(plan=plan, user=None)
        if stage == 4:
            services.plan_return(
                plan=plan,
                user=bureau,
                comments=[
                    ("", "总体目标较笼统,请结合本校差距细化。"),
                    ("section:weaknesses", "请补充生均体育运动场馆面积不足的具体数据。"),
                ],
            )
            continue
        if stage == 3:
            continue  # waiting for review
        plan = services.plan_approve(plan=plan, user=bureau)
        for year in (PLAN_START, PLAN_START + 1):
            progress = services.progress_open(plan=plan, year=year, user=None)
            items = {
                item.pk: {"actual": _custom_actual(item.target.name, year), "narrative": "按计划推进。"}
                for item in progress.items.select_related("target")
            }
            services.progress_save(
                expected_revision=progress.revision,
                progress=progress,
                items=items,
                summary="本学年规划任务总体按期推进。",
                user=None,
            )
            services.progress_submit(progress=progress, user=None)
            if year == PLAN_START or stage < 2:
                services.progress_review(progress=progress, user=bureau, approve=True)
    for year in (PLAN_START, PLAN_START + 1, PLAN_START + 2):
        services.deadline_set(district=district, year=year, due=date(year + 1, 6, 30))
    county = services.county_plan_save(
        district=district,
        start_year=PLAN_START,
        title="清源县义务教育优质均衡发展推进计划(2024—2026)",
        inspection_date=date(2027, 5, 20),
        notes="2026 年底前通过省级督导评估,2027 年申请国家认定。",
    )
    for i, share in enumerate((60, 80, 100)):
        year = PLAN_START + i
        services.county_target_set(
            expected_revision=county.revision, plan=county, kind="compliance_share", year=year, value=share
        )
        services.county_target_set(
            expected_revision=county.revision,
            plan=county,
            kind="cv",
            year=year,
            value=(0.45, 0.40, 0.35)[i],
            indicator="sports_area_per_student",
            level="primary",
        )
        services.county_target_set(
            expected_revision=county.revision, plan=county, kind="retention_rate", year=year, value=(97, 98, 99)[i]
        )
    for year, (enrolment, dropout, retention) in {2024: (100, 0.12, 97.6), 2025: (100, 0.08, 98.3)}.items():
        services.county_figure_set(district=district, year=year, kind="enrolment_rate", value=enrolment)
        services.county_figure_set(district=district, year=year, kind="dropout_rate", value=dropout)
        services.county_figure_set(district=district, year=year, kind="retention_rate", value=retention)


def _standards(district: District) -> dict[tuple[str, str], float]:
    """(indicator key, level) → the school standard of the 2017 rule, from the stored result."""
    result = balance_selectors.balance_result_get(district=district, year=PLAN_START, profile_name="quality-2017")
    if result is None:
        return {}
    return {
        (rule.key, level): value
        for rule in result.outcome.rules
        for level, value in rule.standards.items()
        if value is not None
    }


def _toward_standard(base: float, standard: float | None) -> dict[str, float]:
    """Three yearly targets from the school's figure: up to the standard by the last year when it
    is below it, else a modest rise above its own figure (5 % over the plan)."""
    goal = standard if standard is not None and standard > base else base * 1.05
    return {str(PLAN_START + i): round(base + (goal - base) * i / 2, 2) for i in range(3)}


def _custom_actual(name: str, year: int) -> str:
    if "课程" in name:
        return str(3 + (year - PLAN_START))
    if "培训" in name:
        return str(85 + 5 * (year - PLAN_START))
    return ""
