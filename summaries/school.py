"""The school's annual self-assessment summary (学校年度自评总结): default draft, figures and data
blocks from the school's facts (summaries.selectors.SchoolFacts): its indicators against the
standards this year and last (stored results), the principal's annual progress report and its
plan targets. Call with Chinese active (summaries.build does)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from django.utils import timezone

from core.years import document_date, school_year_label
from indicators.presentation import LEVEL_LABELS, gap_text, value_text
from indicators.results import BalanceOutcome, UnitOutcome
from plans.models import ProgressStatus
from schools.fields import SCHOOL_TYPES
from summaries import actions, words
from summaries.blocks import Block, Element, Paragraph, Table
from summaries.selectors import SchoolFacts


def default_blocks() -> list[Block]:
    return [
        Block("title", "title", "{{学校}}{{学年}}义务教育均衡发展自评总结"),
        Block(
            "intro",
            "text",
            "{{学年}},我校对照义务教育优质均衡发展学校标准和学校三年发展规划,认真开展年度自评。现将自评情况总结如下。",
        ),
        Block("h1", "heading1", "一、基本情况"),
        Block(
            "basic",
            "text",
            "{{学校}}为{{学校类型}},本学年在校生{{在校生数}}人,{{在校生数变化}};"
            "专任教师{{专任教师数}}人,{{专任教师数变化}}。",
        ),
        Block("indicators", "data", data="school_indicators"),
        Block("h2", "heading1", "二、主要成绩"),
        Block("results-1", "text", "对照学校达标标准,{{达标项情况}},{{学校达标结论}}。"),
        Block("improved", "data", data="school_improved"),
        Block("results-2", "text", "规划实施方面,{{年度目标达成情况}}。"),
        Block("progress", "data", data="progress_items"),
        Block("self", "data", data="progress_summary"),
        Block("results-more", "text", ""),
        Block("h3", "heading1", "三、存在的问题和不足"),
        Block("issues-intro", "text", "对照标准和规划目标,学校还存在以下问题和不足:"),
        Block("gaps", "data", data="school_gaps"),
        Block("problems", "data", data="school_problems"),
        Block("issues-more", "text", ""),
        Block("h4", "heading1", "四、下一步工作打算"),
        Block("next-intro", "text", "{{下一学年}},学校将围绕以下重点开展工作:"),
        Block("actions", "data", data="school_actions"),
        Block("next-more", "text", ""),
        Block("sign", "sign", "{{学校}}\n{{日期}}"),
    ]


def _units(outcome: BalanceOutcome | None, code: str) -> list[UnitOutcome]:
    return [] if outcome is None else [u for u in outcome.units_of(code) if u.included]


def _sum(stats: object, prefix: str) -> int | None:
    if stats is None:
        return None
    values = [getattr(stats, f"{prefix}_{s}", None) for s in ("primary", "junior")]
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _met_text(units: list[UnitOutcome]) -> str:
    if not units:
        return "本校未纳入资源配置计算"
    parts = [
        f"{LEVEL_LABELS.get(u.level, u.level)}部 {u.assessed} 项指标中 {u.met} 项达到标准"
        if len(units) > 1
        else f"{u.assessed} 项指标中 {u.met} 项达到标准"
        for u in units
        if u.assessed
    ]
    return "、".join(parts) or "尚无法评估"


def _verdict_text(units: list[UnitOutcome]) -> str:
    if not units or any(u.passes is None for u in units):
        return "学校达标情况尚无法判定"
    return "达到学校达标要求" if all(u.passes for u in units) else "尚未达到学校达标要求"


def _progress_text(facts: SchoolFacts) -> str:
    if facts.plan is None:
        return "本学年尚无经审核的学校三年发展规划"
    if facts.progress is None:
        return f"《{facts.plan.title}》本学年的年度自评尚未填报"
    counts = dict.fromkeys(ProgressStatus.values, 0)
    for item in facts.progress_items:
        if item.status:
            counts[item.status] += 1
    total = len(facts.progress_items)
    return (
        f"《{facts.plan.title}》本学年 {total} 项目标中达成 {counts['achieved']} 项、部分达成 {counts['partial']} 项、"
        f"未达成 {counts['missed']} 项"
    )


def figures(facts: SchoolFacts, today: date | None = None) -> dict[str, str]:
    units = _units(facts.outcome, facts.school.code)
    students, students_before = _sum(facts.statistics, "students"), _sum(facts.statistics_previous, "students")
    teachers, teachers_before = _sum(facts.statistics, "teachers"), _sum(facts.statistics_previous, "teachers")
    school_type = facts.version.school_type if facts.version else ""
    out = {
        "学校": facts.name,
        "学校标识码": facts.school.code,
        "学校类型": SCHOOL_TYPES.get(school_type, school_type) or words.DASH,
        "区县": facts.district.name,
        "学年": school_year_label(facts.year),
        "下一学年": school_year_label(facts.year + 1),
        "评估规则": facts.outcome.profile.label or facts.profile.label,
        "在校生数": words.count(students),
        "在校生数变化": words.change_count(students, students_before, "人"),
        "专任教师数": words.count(teachers),
        "专任教师数变化": words.change_count(teachers, teachers_before, "人"),
        "达标项情况": _met_text(units),
        "学校达标结论": _verdict_text(units),
        "年度目标达成情况": _progress_text(facts),
        "规划名称": facts.plan.title if facts.plan else words.DASH,
    }
    for unit in units:
        level = LEVEL_LABELS.get(unit.level, unit.level)
        for rule in facts.outcome.rules:
            value = unit.values.get(rule.key)
            standard = rule.standards.get(unit.level)
            met = None if standard is None else (value is not None and value >= standard)
            out[f"{level}{rule.label}"] = value_text(value, standard, met)
    day = today or timezone.localdate()
    out["日期"] = document_date(day)
    return out


def data_blocks(facts: SchoolFacts) -> Callable[[str], Sequence[Element]]:
    builders: dict[str, Callable[[SchoolFacts], list[Element]]] = {
        "school_indicators": indicators_table,
        "school_improved": improved,
        "progress_items": progress_items,
        "progress_summary": progress_summary,
        "school_gaps": gaps,
        "school_problems": problems,
        "school_actions": actions.school_actions,
    }

    def build(name: str) -> Sequence[Element]:
        builder = builders.get(name)
        return builder(facts) if builder is not None else []

    return build


def _previous_unit(facts: SchoolFacts, unit: UnitOutcome) -> UnitOutcome | None:
    return next((u for u in _units(facts.previous, facts.school.code) if u.level == unit.level), None)


def indicators_table(facts: SchoolFacts) -> list[Element]:
    rows, bad = [], []
    for unit in _units(facts.outcome, facts.school.code):
        last = _previous_unit(facts, unit)
        level = LEVEL_LABELS.get(unit.level, unit.level)
        for rule in facts.outcome.rules:
            value = unit.values.get(rule.key)
            standard = rule.standards.get(unit.level)
            met = None if standard is None else (value is not None and value >= standard)
            before = last.values.get(rule.key) if last is not None else None
            rows.append(
                [
                    level,
                    rule.label,
                    rule.unit,
                    value_text(value, standard, met),
                    value_text(before) if last is not None else words.DASH,
                    words.DASH if standard is None else f"≥ {words.plain(standard)}",
                    words.verdict(met),
                ]
            )
            bad.append([False, False, False, met is False, False, False, met is False])
    if not rows:
        return [Paragraph("本校本学年未纳入资源配置计算(见“均衡状况”页面的说明)。", "note")]
    return [
        Table(
            "学校资源配置指标(读自存储的计算结果,与“均衡状况”页面一致)",
            ["学段", "指标", "单位", "本学年", "上学年", "标准", "结论"],
            rows,
            (8, 34, 12, 12, 12, 11, 11),
            bad,
            (False, False, False, True, True, True, False),
        )
    ]


def improved(facts: SchoolFacts) -> list[Element]:
    lines = []
    for unit in _units(facts.outcome, facts.school.code):
        last = _previous_unit(facts, unit)
        if last is None:
            continue
        for rule in facts.outcome.rules:
            now, before = unit.values.get(rule.key), last.values.get(rule.key)
            if now is None or before is None or now <= before:
                continue
            standard = rule.standards.get(unit.level)
            reached = standard is not None and before < standard <= now
            lines.append(
                f"{rule.label}由 {value_text(before)} 提高到 {value_text(now)}" + (",达到标准" if reached else "")
            )
    if facts.previous is None:
        return [Paragraph("上学年尚无计算结果,暂无法与上学年比较。", "note")]
    if not lines:
        return [Paragraph("与上学年相比,各项指标没有提高。", "note")]
    return [Paragraph(f"与上学年相比:{';'.join(lines)}。")]


def progress_items(facts: SchoolFacts) -> list[Element]:
    if not facts.progress_items:
        return []
    rows, bad = [], []
    year = str(facts.year)
    for item in facts.progress_items:
        target = item.target
        goal = target.values.get(year)
        actual = None if item.actual is None else float(item.actual)
        rows.append(
            [
                target.name,
                words.DASH if goal is None else f"{words.plain(float(goal))}{target.unit}",
                words.DASH if actual is None else f"{words.plain(actual)}{target.unit}",
                str(item.get_status_display()) if item.status else "未评估",
                item.narrative or words.DASH,
            ]
        )
        bad.append([False, False, False, item.status == ProgressStatus.MISSED, False])
    return [
        Table(
            "本学年规划目标达成情况(摘自年度自评)",
            ["目标", "本学年目标", "实际", "达成情况", "说明"],
            rows,
            (26, 14, 14, 12, 34),
            bad,
            (False, True, True, False, False),
        )
    ]


def progress_summary(facts: SchoolFacts) -> list[Element]:
    if facts.progress is None or not facts.progress.summary.strip():
        return []
    return [Paragraph(line.strip()) for line in facts.progress.summary.splitlines() if line.strip()]


def gaps(facts: SchoolFacts) -> list[Element]:
    lines = []
    for unit in _units(facts.outcome, facts.school.code):
        level = LEVEL_LABELS.get(unit.level, unit.level)
        for gap in unit.gaps.values():
            lines.append(
                f"{level}{gap.rule.label}为 {value_text(gap.value, gap.standard, False)},低于 "
                f"{words.plain(gap.standard)} 的标准,{gap_text(gap)}"
                + (",且低于标准的下限" if gap.below_floor else "")
                + "。"
            )
    for row in facts.targets:
        cell = next((c for c in row.cells if c["year"] == facts.year), None)
        if cell is not None and cell["met"] is False:
            lines.append(
                f"规划目标“{row.target.name}”未达成(本学年目标 {words.plain(float(cell['target']))},"
                f"实际 {words.plain(float(cell['actual']))}{row.target.unit})。"
            )
    if not lines:
        return [Paragraph("各项资源配置指标均达到标准,本学年规划目标均已达成。")]
    return [Paragraph(f"{i}. {text}", "item") for i, text in enumerate(lines, start=1)]


def problems(facts: SchoolFacts) -> list[Element]:
    if not facts.problems:
        return []
    rows = [
        [
            p.title,
            p.owner or "未明确",
            p.deadline.strftime("%Y-%m-%d") if p.deadline else "未定",
            str(p.get_state_display()),
        ]
        for p in facts.problems
    ]
    return [
        Table("问题清单中本校待整改的问题", ["问题", "责任单位/责任人", "整改期限", "状态"], rows, (50, 20, 15, 15))
    ]
