"""The bureau's annual work summary (年度义务教育均衡发展工作总结): its default draft, its figures
and its data blocks, from a county's facts (summaries.selectors.CountyFacts).

The shape follows the real summaries in ../shared/seeds: 一、基本情况和主要成绩 (基本情况,
主要成绩与亮点), 二、存在的问题和困难, 三、下一步工作打算. The default text is a starting point
the clerk rewrites; the figures in it are placeholders ({{名称}}) and every table or list of
figures is a data block, so both follow the data (summaries.blocks).

Every balance figure is read from the stored outcome (CVs at three decimals, gaps worded by
indicators.presentation.gap_text, as the balance page shows them). Call with Chinese active
(summaries.build does): the document is Chinese whatever the clerk's interface language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from django.utils import timezone

from core.years import document_date, school_year_label
from indicators.presentation import LEVEL_LABELS, gap_text
from indicators.results import BalanceOutcome, CompositeAbove, CvAbove, CvNear, UnitOutcome
from reports.content import RegistryRow
from summaries import actions, words
from summaries.blocks import Block, Element, Paragraph, Table
from summaries.selectors import CountyFacts

SECTION_NAMES = {"primary": "小学", "junior": "初中"}


def default_blocks() -> list[Block]:
    """The first draft: the seeds' shape, figures as placeholders, tables as data blocks."""
    return [
        Block("title", "title", "{{区县}}{{学年}}义务教育均衡发展工作总结"),
        Block(
            "intro",
            "text",
            "{{学年}},{{区县}}围绕县域义务教育优质均衡发展目标,统筹学校布局、办学条件和师资配置,"
            "逐校对照标准查找差距、落实整改。现将本学年工作总结如下。",
        ),
        Block("h1", "heading1", "一、基本情况和主要成绩"),
        Block("h1-1", "heading2", "(一)基本情况"),
        Block(
            "basic",
            "text",
            "{{学年}},全县共有义务教育阶段学校(含教学点){{学校数}}所,{{学校数变化}}。"
            "小学在校生{{小学在校生数}}人,{{小学在校生数变化}};初中在校生{{初中在校生数}}人,{{初中在校生数变化}}。"
            "小学专任教师{{小学专任教师数}}人,初中专任教师{{初中专任教师数}}人。",
        ),
        Block("figures", "data", data="figures_table"),
        Block("h1-2", "heading2", "(二)主要成绩与亮点"),
        Block(
            "results-1",
            "text",
            "1. 校际均衡水平。按《{{评估规则}}》计算,{{差异系数达标情况}},县域资源配置校际差异系数"
            "{{资源配置结论}}。参与计算的{{计算单元数}}个计算单元中{{达标计算单元数}}个达到学校达标要求,达标率"
            "{{学校达标率}},{{学校达标率变化}}。",
        ),
        Block("cv", "data", data="cv_table"),
        Block("improved", "data", data="improved"),
        Block(
            "results-2",
            "text",
            "2. 政府保障与教育质量。政府保障程度{{政府保障程度达标情况}};教育质量{{教育质量达标情况}}。",
        ),
        Block("results-3", "text", "3. 社会认可度。{{社会认可度情况}}"),
        Block("survey", "data", data="survey"),
        Block("results-4", "text", "4. 规划实施。{{规划实施情况}}"),
        Block("plans", "data", data="plan_progress"),
        Block("results-more", "text", ""),
        Block("h2", "heading1", "二、存在的问题和困难"),
        Block("issues-intro", "text", "对照优质均衡发展的要求,我县义务教育发展仍存在以下问题和困难:"),
        Block("issues", "data", data="issues"),
        Block("failing", "data", data="still_failing"),
        Block("items", "data", data="items_failing"),
        Block("problems", "data", data="problems"),
        Block("issues-more", "text", ""),
        Block("h3", "heading1", "三、下一步工作打算"),
        Block(
            "next-intro",
            "text",
            "{{下一学年}},我县将对照问题清单逐项整改,力争于{{计划迎检日期}}前达到优质均衡发展"
            "各项要求,重点做好以下工作:",
        ),
        Block("actions", "data", data="actions"),
        Block("next-more", "text", ""),
        Block("sign", "sign", "{{区县}}教育局\n{{日期}}"),
    ]


# --- figures --------------------------------------------------------------------------------------


def _total(rows: Sequence[RegistryRow], kind: str, section: str) -> int | None:
    values = [getattr(r, kind).get(section) for r in rows if r.status is not None]
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def unit_counts(outcome: BalanceOutcome | None, level: str | None = None) -> tuple[int, int]:
    """(assessed, passing) evaluation units under the school rule (the balance page's counts)."""
    if outcome is None:
        return 0, 0
    judged = [u for u in outcome.included(level) if u.passes is not None]
    return len(judged), sum(1 for u in judged if u.passes)


def _share(outcome: BalanceOutcome | None, level: str | None = None) -> float | None:
    assessed, passing = unit_counts(outcome, level)
    return passing / assessed if assessed else None


def cv_summary(outcome: BalanceOutcome) -> str:
    """小学 7 项差异系数中 5 项达到标准、初中 … (or the composites under the 2012 method)."""
    parts = []
    for name, level in outcome.levels.items():
        label = LEVEL_LABELS.get(name, name)
        if level.composite_threshold is not None:
            parts.append(
                f"{label}综合差异系数为 {words.cv(level.composite)}(标准 ≤ {words.line(level.composite_threshold)})"
            )
            continue
        judged = [i for i in level.indicators.values() if i.passes is not None]
        met = sum(1 for i in judged if i.passes)
        parts.append(f"{label} {len(judged)} 项差异系数中 {met} 项达到标准")
    return "、".join(parts) or "尚无差异系数"


def _area_text(facts: CountyFacts, area: str) -> str:
    judged = facts.areas.get(area)
    if judged is None:
        return "尚未配置检查项"
    text = f"{judged.total} 项中达标 {judged.met} 项"
    if judged.failed:
        text += f"、未达标 {judged.failed} 项"
    if judged.unknown:
        text += f"、待填报或无法判定 {judged.unknown} 项"
    return text


def _survey_text(facts: CountyFacts) -> str:
    summary = facts.survey
    if summary is None:
        return "本学年尚未开展社会认可度调查。"
    threshold = f"{float(summary.survey.threshold) * 100:g}%"
    if summary.rate is None:
        return f"已收回有效问卷 {summary.responses:,} 份,尚不足以计算社会认可度(标准 ≥ {threshold})。"
    verdict = "达到要求" if summary.verdict else "未达到要求" if summary.verdict is False else "尚无法判定"
    return (
        f"共收回有效问卷 {summary.responses:,} 份,社会认可度为 {words.percent(summary.rate)}"
        f"(标准 ≥ {threshold}),{verdict}。"
    )


def _plans_text(facts: CountyFacts) -> str:
    p = facts.plans
    if not p.schools_with_plan and p.plan is None:
        return "本学年尚无经审核的学校三年发展规划和县域推进计划。"
    text = (
        f"全县 {p.schools_with_plan} 所学校的三年发展规划覆盖本学年,已提交年度自评 {p.reports_submitted} 所"
        f"(审核通过 {p.reports_approved} 所)"
    )
    if p.targets_judged:
        text += f";已评估的 {p.targets_judged} 项年度目标中达成 {p.targets_met} 项"
    if p.plan is not None:
        text += f"。县域推进计划《{p.plan.title}》的年度目标完成情况见下表"
    return text + "。"


def figures(facts: CountyFacts, today: date | None = None) -> dict[str, str]:
    """Every placeholder's text for this county and year (name → text)."""
    outcome, previous = facts.outcome, facts.previous
    now, before = facts.registry, facts.registry_previous
    out: dict[str, str] = {
        "区县": facts.district.name,
        "学年": school_year_label(facts.year),
        "上学年": school_year_label(facts.year - 1),
        "下一学年": school_year_label(facts.year + 1),
        "评估规则": outcome.profile.label or facts.profile.label,
        "学校数": words.count(len(now)),
        "学校数变化": words.change_count(len(now), len(before) if before else None, "所"),
    }
    for section, label in SECTION_NAMES.items():
        for kind, noun, unit in (("students", "在校生数", "人"), ("teachers", "专任教师数", "人")):
            value, last = _total(now, kind, section), _total(before, kind, section)
            out[f"{label}{noun}"] = words.count(value)
            out[f"{label}{noun}变化"] = words.change_count(value, last, unit)
    assessed, passing = unit_counts(outcome)
    out["计算单元数"] = words.count(assessed)
    out["达标计算单元数"] = words.count(passing)
    out["学校达标率"] = words.percent(_share(outcome))
    out["学校达标率变化"] = words.change_share(_share(outcome), _share(previous))
    for level in outcome.levels:
        label = LEVEL_LABELS.get(level, level)
        out[f"{label}学校达标率"] = words.percent(_share(outcome, level))
    out["差异系数达标情况"] = cv_summary(outcome)
    out["资源配置结论"] = {True: "达到要求", False: "未达到要求", None: "尚无法判定"}[outcome.passes]
    for name, level_outcome in outcome.levels.items():
        label = LEVEL_LABELS.get(name, name)
        for ind in level_outcome.indicators.values():
            out[f"{label}{ind.rule.label}差异系数"] = words.cv(ind.cv)
            last_cv = previous.cv(name, ind.key) if previous is not None else None
            out[f"{label}{ind.rule.label}差异系数变化"] = words.change_cv(ind.cv, last_cv.cv if last_cv else None)
        if level_outcome.composite is not None:
            out[f"{label}综合差异系数"] = words.cv(level_outcome.composite)
    out["政府保障程度达标情况"] = _area_text(facts, "guarantee")
    out["教育质量达标情况"] = _area_text(facts, "quality")
    out["社会认可度"] = words.percent(facts.survey.rate) if facts.survey else words.DASH
    out["社会认可度情况"] = _survey_text(facts)
    out["规划实施情况"] = _plans_text(facts)
    out["待整改问题数"] = words.count(len(facts.open_problems))
    out["本学年已整改问题数"] = words.count(facts.closed_this_year)
    plan = facts.plans.plan
    out["计划迎检日期"] = (
        f"{plan.inspection_date.year}年{plan.inspection_date.month}月"
        if plan is not None and plan.inspection_date
        else "迎接督导评估认定"
    )
    day = today or timezone.localdate()
    out["日期"] = document_date(day)
    return out


# --- data blocks ----------------------------------------------------------------------------------


def data_blocks(facts: CountyFacts) -> Callable[[str], Sequence[Element]]:
    builders: dict[str, Callable[[CountyFacts], list[Element]]] = {
        "figures_table": figures_table,
        "cv_table": cv_table,
        "improved": improved,
        "survey": survey_table,
        "plan_progress": plan_progress,
        "issues": issues,
        "still_failing": still_failing,
        "items_failing": items_failing,
        "problems": problems_table,
        "actions": lambda f: actions.county_actions(f),
    }

    def build(name: str) -> Sequence[Element]:
        builder = builders.get(name)
        return builder(facts) if builder is not None else []

    return build


def figures_table(facts: CountyFacts) -> list[Element]:
    now, before = facts.registry, facts.registry_previous
    rows: list[list[str]] = [
        [
            "义务教育阶段学校(所)",
            words.count(len(now)),
            words.count(len(before)) if before else words.DASH,
            words.delta_cell(len(now), len(before)) if before else words.DASH,
        ],
    ]
    for section, label in SECTION_NAMES.items():
        for kind, noun in (("students", "在校生(人)"), ("teachers", "专任教师(人)")):
            value, last = _total(now, kind, section), _total(before, kind, section)
            rows.append([f"{label}{noun}", words.count(value), words.count(last), words.delta_cell(value, last)])
    for level in facts.outcome.levels:
        label = LEVEL_LABELS.get(level, level)
        share, last_share = _share(facts.outcome, level), _share(facts.previous, level)
        change = (
            words.DASH if share is None or last_share is None else words.delta_cell(share * 100, last_share * 100, 1)
        )
        rows.append([f"{label}学校达标率(按计算单元)", words.percent(share), words.percent(last_share), change])
    return [
        Table(
            "主要数据及与上学年比较",
            ["项目", "本学年", "上学年", "变化"],
            rows,
            (40, 20, 20, 20),
            (),
            (False, True, True, True),
        ),
        Paragraph(
            "注:学校数与师生数据据学校年度统计(含未审核数据);学校达标率按计算单元计,读自存储的计算结果。", "note"
        ),
    ]


def cv_table(facts: CountyFacts) -> list[Element]:
    outcome, previous = facts.outcome, facts.previous
    rows, bad = [], []
    for name, level in outcome.levels.items():
        label = LEVEL_LABELS.get(name, name)
        for ind in level.indicators.values():
            last = previous.cv(name, ind.key) if previous is not None else None
            limit = f"≤ {words.line(ind.threshold)}" if ind.threshold is not None else "不单独判定"
            rows.append(
                [
                    label,
                    ind.rule.label,
                    words.cv(ind.cv),
                    words.cv(last.cv if last else None),
                    limit,
                    words.verdict(ind.passes) if ind.threshold is not None else words.DASH,
                ]
            )
            bad.append([False, False, ind.passes is False, False, False, ind.passes is False])
        if level.composite is not None or level.composite_threshold is not None:
            last_level = previous.level(name) if previous is not None else None
            limit = (
                f"≤ {words.line(level.composite_threshold)}" if level.composite_threshold is not None else "仅供参考"
            )
            rows.append(
                [
                    label,
                    "综合差异系数",
                    words.cv(level.composite),
                    words.cv(last_level.composite if last_level else None),
                    limit,
                    words.verdict(level.passes) if level.composite_threshold is not None else words.DASH,
                ]
            )
            bad.append([False, False, level.passes is False, False, False, level.passes is False])
    return [
        Table(
            "校际差异系数(保留三位小数,与“均衡状况”页面一致)",
            ["学段", "指标", "本学年", "上学年", "标准", "结论"],
            rows,
            (10, 42, 12, 12, 12, 12),
            bad,
            (False, False, True, True, True, False),
        )
    ]


def _key(unit: UnitOutcome) -> tuple[str, str]:
    return unit.school_code, unit.level


def improved(facts: CountyFacts) -> list[Element]:
    """Units whose compliance improved since last year: more indicators met, or now passing."""
    if facts.previous is None:
        return [Paragraph("上学年尚无计算结果,暂无法与上学年比较各校达标情况。", "note")]
    before = {_key(u): u for u in facts.previous.included() if u.passes is not None}
    rows = []
    now_passing = 0
    for unit in facts.outcome.included():
        last = before.get(_key(unit))
        if unit.passes is None or last is None or last.met is None or unit.met is None:
            continue
        if unit.met > last.met or (unit.passes and not last.passes):
            now_passing += bool(unit.passes and not last.passes)
            rows.append(
                [
                    unit.school_name,
                    LEVEL_LABELS.get(unit.level, unit.level),
                    f"{last.met}/{last.assessed}",
                    f"{unit.met}/{unit.assessed}",
                    f"{words.verdict(last.passes)} → {words.verdict(unit.passes)}",
                ]
            )
    if not rows:
        return [Paragraph("与上学年相比,没有学校的达标项数增加。", "note")]
    lead = f"与上学年相比,{len(rows)} 个计算单元的达标项数增加,其中 {now_passing} 个由未达标转为达标。"
    return [
        Paragraph(lead),
        Table(
            "达标情况改善的学校",
            ["学校", "学段", "上学年达标项", "本学年达标项", "结论"],
            rows,
            (40, 10, 16, 16, 18),
            (),
            (False, False, True, True, False),
        ),
    ]


def survey_table(facts: CountyFacts) -> list[Element]:
    rows = facts.sections.get("recognition", {}).get("rows", [])
    if not rows:
        return []
    table = [[str(r["label"]), words.count(r["responses"]), words.percent(r["rate"])] for r in rows]
    return [
        Table(
            "社会认可度调查分群体结果",
            ["调查对象", "有效问卷(份)", "认可度"],
            table,
            (40, 30, 30),
            (),
            (False, True, True),
        )
    ]


def plan_progress(facts: CountyFacts) -> list[Element]:
    board = facts.plans.board
    labels = {rule.key: rule.label for rule in facts.outcome.rules}
    rows, bad = [], []
    for row in board:
        cell = next((c for c in row["cells"] if c["year"] == facts.year), None)
        if cell is None or cell["target"] is None:
            continue
        kind = row["kind"]
        fmt: Callable[[float | None], str] = (
            words.cv
            if kind == "cv"
            else (lambda v: words.DASH if v is None else f"{v:.1f}%")
            if kind == "compliance_share"
            else (lambda v: words.DASH if v is None else f"{v:g}")
        )
        name = str(row["label"]) + (f"·{labels.get(row['indicator'], row['indicator'])}" if row["indicator"] else "")
        level = LEVEL_LABELS.get(row["level"], row["level"]) if row["level"] else "全部"
        rows.append([name, level, fmt(cell["target"]), fmt(cell["actual"]), words.verdict(cell["met"])])
        bad.append([False, False, False, cell["met"] is False, cell["met"] is False])
    if not rows:
        return []
    return [
        Table(
            "县域推进计划本学年目标完成情况",
            ["目标", "学段", "本学年目标", "实际", "结论"],
            rows,
            (44, 10, 15, 15, 16),
            bad,
            (False, False, True, True, False),
        )
    ]


def issues(facts: CountyFacts) -> list[Element]:
    """The problems in numbered sentences: failing CVs (three decimals) first, from the findings."""
    outcome, previous = facts.outcome, facts.previous
    lines: list[str] = []
    for finding in outcome.findings:
        if isinstance(finding, CvAbove):
            ind = finding.indicator
            label = LEVEL_LABELS.get(ind.level, ind.level)
            last = previous.cv(ind.level, ind.key) if previous is not None else None
            text = (
                f"{label}{ind.rule.label}差异系数为 {words.cv(ind.cv)},高于 {words.line(ind.threshold)} 的标准,"
                f"{words.change_cv(ind.cv, last.cv if last else None)}"
            )
            below = [t.school_name for t in finding.below_mean[:3]]
            if below:
                text += f";差距主要在{words.names(below)}等低于全县均值的学校"
            lines.append(text + "。")
        elif isinstance(finding, CompositeAbove):
            level = finding.level
            label = LEVEL_LABELS.get(level.level, level.level)
            worst = "、".join(i.rule.label for i in finding.worst)
            lines.append(
                f"{label}综合差异系数为 {words.cv(level.composite)},高于 {words.line(level.composite_threshold)} "
                f"的标准,差异较大的指标为{worst}。"
            )
    failing = [u for u in outcome.included() if u.passes is False]
    if failing:
        lines.append(
            f"{len(failing)} 个计算单元未达到学校达标要求({words.names([u.school_name for u in failing])}),"
            "各校差距见下表。"
        )
    for area, name in (("guarantee", "政府保障程度"), ("quality", "教育质量")):
        judged = facts.areas.get(area)
        if judged is not None and judged.failed:
            lines.append(f"{name}有 {judged.failed} 项未达标,见下表。")
    survey = facts.survey
    if survey is not None and survey.verdict is False and survey.rate is not None:
        lines.append(
            f"社会认可度为 {words.percent(survey.rate)},低于 {float(survey.survey.threshold) * 100:g}% 的标准。"
        )
    for finding in outcome.findings:
        if isinstance(finding, CvNear) and finding.indicator.cv is not None:
            ind = finding.indicator
            lines.append(
                f"{LEVEL_LABELS.get(ind.level, ind.level)}{ind.rule.label}差异系数为 {words.cv(ind.cv)},"
                f"接近 {words.line(ind.threshold)} 的标准,需防止反弹。"
            )
    if facts.result.units_approved < facts.result.units_total:
        lines.append(
            f"{facts.result.units_total - facts.result.units_approved} 所学校的本学年统计数据尚未审核,"
            "以上计算结果为预览。"
        )
    if not lines:
        return [Paragraph("资源配置各项指标均达到要求,政府保障程度与教育质量未发现未达标项。")]
    return [Paragraph(f"{i}. {text}", "item") for i, text in enumerate(lines, start=1)]


def still_failing(facts: CountyFacts) -> list[Element]:
    before = {_key(u): u for u in facts.previous.included()} if facts.previous is not None else {}
    rows = []
    for unit in sorted(facts.outcome.included(), key=lambda u: (u.met or 0, u.school_code)):
        if unit.passes is not False:
            continue
        last = before.get(_key(unit))
        rows.append(
            [
                unit.school_name,
                LEVEL_LABELS.get(unit.level, unit.level),
                f"{unit.met}/{unit.assessed}",
                words.verdict(last.passes) if last is not None else words.DASH,
                ";".join(gap_text(g) for g in unit.gaps.values()) or words.DASH,
            ]
        )
    if not rows:
        return []
    return [
        Table(
            "未达到学校达标要求的学校及差距",
            ["学校", "学段", "达标项", "上学年", "与标准的差距"],
            rows,
            (26, 8, 10, 10, 46),
            (),
            (False, False, True, False, False),
        )
    ]


def items_failing(facts: CountyFacts) -> list[Element]:
    """The items not met, in a table; those not yet judged only counted (they are to be filled in
    on the assessment pages, they are not problems of the county)."""
    rows, unknown = [], 0
    for section, name in (("guarantee", "政府保障程度"), ("quality", "教育质量")):
        for row in facts.sections.get(section, {}).get("rows", []):
            if row["verdict"] is None:
                unknown += 1
            elif row["verdict"] is False:
                rows.append([name, str(row["key"]), str(row["text"]), str(row["value"] or words.DASH), "未达标"])
    out: list[Element] = []
    if rows:
        bad = [[False, False, False, False, True]] * len(rows)
        headers = ["部分", "编号", "项目", "实际", "结论"]
        out.append(Table("政府保障程度与教育质量未达标的项目", headers, rows, (14, 8, 44, 22, 12), bad))
    if unknown:
        out.append(Paragraph(f"另有 {unknown} 项尚待填报或无法判定,见“县域评估”页面。", "note"))
    return out


PROBLEMS_LISTED = 30  # a summary lists the problems due first; the problem list has them all


def problems_table(facts: CountyFacts) -> list[Element]:
    """Open problems with their owners and deadlines (the soonest first)."""
    if not facts.open_problems:
        return [Paragraph("问题清单中没有待整改的问题。", "note")]
    listed = facts.open_problems[:PROBLEMS_LISTED]
    rows = [
        [
            str(i),
            p.title,
            p.owner or "未明确",
            p.deadline.strftime("%Y-%m-%d") if p.deadline else "未定",
            str(p.get_state_display()),
        ]
        for i, p in enumerate(listed, start=1)
    ]
    headers = ["序号", "问题", "责任单位/责任人", "整改期限", "状态"]
    out: list[Element] = [Table("问题清单中待整改的问题", headers, rows, (7, 47, 20, 13, 13))]
    if len(facts.open_problems) > len(listed):
        out.append(
            Paragraph(
                f"问题清单中共有 {len(facts.open_problems)} 个问题待整改,上表按整改期限列出前 {len(listed)} 个,"
                "完整清单见“问题清单”页面。",
                "note",
            )
        )
    return out
