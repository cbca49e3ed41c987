"""Next year's actions (下一步工作打算), derived from what fails.

A county's actions come from its stored findings (`BalanceOutcome.findings`: CVs above their
lines, failing composites, the schools' gaps), the assessment items not met, the survey and the
open problems with their owners; a school's from its gaps, its plan targets missed this year and
its plan's targets for next year. When the bureau has adopted a 整改方案 (the planner's plan and
its schedule over the years), the county's actions open with its next year: which schools, what,
how much and at what cost, and where the county stands after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import translation

from indicators.presentation import LEVEL_LABELS, gap_text, value_text
from indicators.results import CompositeAbove, CvAbove, CvNear, UnitOutcome
from planner.labels import kind_label
from summaries import words
from summaries.blocks import Element, Paragraph

if TYPE_CHECKING:
    from planner.adopted import AdoptedSchedule
    from summaries.selectors import CountyFacts, SchoolFacts

SCHOOLS_LISTED = 10  # schools named one by one in the action on gaps; the rest are counted


def _numbered(lines: list[str]) -> list[Element]:
    return [Paragraph(f"{i}. {text}", "item") for i, text in enumerate(lines, start=1)]


def county_actions(facts: CountyFacts) -> list[Element]:
    outcome = facts.outcome
    lines: list[str] = _schedule_lines(facts.adopted, facts.year) if facts.adopted is not None else []
    for finding in outcome.findings:
        if isinstance(finding, CvAbove):
            ind = finding.indicator
            label = LEVEL_LABELS.get(ind.level, ind.level)
            text = (
                f"缩小{label}{ind.rule.label}的校际差距,使差异系数由 {words.cv(ind.cv)} 降至 "
                f"{words.line(ind.threshold)} 以下"
            )
            below = [t.school_name for t in finding.below_mean[:3]]
            if below:
                text += f",优先支持{words.names(below)}"
            lines.append(text + "。")
        elif isinstance(finding, CompositeAbove):
            level = finding.level
            worst = "、".join(i.rule.label for i in finding.worst)
            lines.append(
                f"降低{LEVEL_LABELS.get(level.level, level.level)}综合差异系数(现为 {words.cv(level.composite)},"
                f"标准 ≤ {words.line(level.composite_threshold)}),重点改善{worst}。"
            )
    failing = [u for u in outcome.included() if u.passes is False]
    short = [u for u in outcome.included() if u.gaps and u.passes is not False]
    gap_lines: list[str] = []
    if failing or short:
        listed = (failing + short)[:SCHOOLS_LISTED]
        for unit in listed:
            gap_lines.append(_unit_gaps(unit))
        rest = len(failing) + len(short) - len(listed)
        lines.append(
            f"补齐学校办学条件短板,逐校落实:{';'.join(gap_lines)}"
            + (f";另有 {rest} 个计算单元的差距见问题清单" if rest > 0 else "")
            + "。"
        )
    for area, name in (("guarantee", "政府保障程度"), ("quality", "教育质量")):
        judged = facts.areas.get(area)
        if judged is None:
            continue
        missed = [j.item for j in judged.judgements if j.verdict is False]
        if missed:
            texts = ";".join(f"{i.key} {i.text.rstrip('。')}" for i in missed[:5])
            lines.append(f"落实{name}未达标事项:{texts}。")
    survey = facts.survey
    if survey is not None and survey.verdict is False and survey.rate is not None:
        lines.append(
            f"加强政策宣传和家校沟通,使社会认可度由 {words.percent(survey.rate)} 提高到 "
            f"{float(survey.survey.threshold) * 100:g}% 以上。"
        )
    if facts.open_problems:
        shown = [
            f"{p.title}(责任:{p.owner or '待明确'}" + (f",期限 {p.deadline:%Y-%m-%d}" if p.deadline else "") + ")"
            for p in facts.open_problems[:5]
        ]
        more = len(facts.open_problems) - len(shown)
        lines.append(
            f"按期完成问题清单中 {len(facts.open_problems)} 个问题的整改:{';'.join(shown)}"
            + (f"等 {len(facts.open_problems)} 个" if more > 0 else "")
            + "。"
        )
    if facts.result.units_approved < facts.result.units_total:
        lines.append(f"完成其余 {facts.result.units_total - facts.result.units_approved} 所学校统计数据的审核。")
    near = [f for f in outcome.findings if isinstance(f, CvNear)]
    if near:
        labels = "、".join(
            f"{LEVEL_LABELS.get(f.indicator.level, f.indicator.level)}{f.indicator.rule.label}" for f in near[:3]
        )
        lines.append(f"巩固{labels}等接近标准的指标,防止差异系数反弹。")
    if not lines:
        lines.append("巩固县域义务教育优质均衡发展成果,保持各项指标持续达到要求。")
    return _numbered(lines)


def _schedule_lines(adopted: AdoptedSchedule, year: int) -> list[str]:
    """The adopted plan's next year of work, then the years after it, in one or two lines."""
    upcoming = [y for y in adopted.years if y.year > year] or list(adopted.years)
    head = f"按 {adopted.adopted_at:%Y-%m-%d} 采纳的整改方案(总费用 {adopted.cost_yuan:,.0f} 元)"
    if not upcoming:
        return [head + "组织实施。"]
    first, later = upcoming[0], upcoming[1:]
    work: dict[str, list[str]] = {}
    with translation.override("zh-hans"):  # the summary is a Chinese document, whatever the page's language
        for action in adopted.actions_in(first):
            what = f"{kind_label(action.kind)} {words.plain(action.amount)}{action.unit}"
            if action.to_school_name:
                what += f"(至{action.to_school_name})"
            work.setdefault(action.school_name, []).append(what)
    listed = list(work.items())[:SCHOOLS_LISTED]
    text = (
        f"{head},{school_year(first.year)}在 {len(first.school_codes)} 所学校投入 {first.cost_yuan:,.0f} 元:"
        + ";".join(f"{name}{'、'.join(items)}" for name, items in listed)
    )
    if len(work) > len(listed):
        text += f";另有 {len(work) - len(listed)} 所学校"
    if first.compliance_share is not None:
        text += f",实施后计算单元达标比例达到 {first.compliance_share:.1f}%"
    text += ",全县达到验收要求。" if first.passes else "。"
    lines = [text]
    if later:
        lines.append(
            "其后:"
            + ";".join(f"{school_year(y.year)}在 {len(y.school_codes)} 所学校投入 {y.cost_yuan:,.0f} 元" for y in later)
            + "。"
        )
    return lines


def _unit_gaps(unit: UnitOutcome) -> str:
    gaps = "、".join(gap_text(g) for g in unit.gaps.values())
    return f"{unit.school_name}({LEVEL_LABELS.get(unit.level, unit.level)}){gaps}"


def school_actions(facts: SchoolFacts) -> list[Element]:
    lines: list[str] = []
    for unit in facts.outcome.units_of(facts.school.code):
        if not unit.included:
            continue
        for gap in unit.gaps.values():
            lines.append(
                f"{gap_text(gap)}(现为 {value_text(gap.value, gap.standard, False)},"
                f"标准 {words.plain(gap.standard)} {gap.rule.unit})。"
            )
    year = facts.year
    for row in facts.targets:
        cell = next((c for c in row.cells if c["year"] == year), None)
        if cell is not None and cell["met"] is False:
            lines.append(
                f"完成规划目标“{row.target.name}”:本学年目标 {words.plain(cell['target'])},"
                f"实际 {words.plain(cell['actual'])}{row.target.unit}。"
            )
    for row in facts.targets:
        goal = row.target.values.get(str(year + 1))
        if goal is not None:
            target = f"{words.plain(goal)}{row.target.unit}"
            lines.append(f"{row.target.name}达到 {target}({school_year(year + 1)}规划目标)。")
    for problem in facts.problems:
        deadline = f",期限 {problem.deadline:%Y-%m-%d}" if problem.deadline else ""
        lines.append(f"整改“{problem.title}”(责任:{problem.owner or '待明确'}{deadline})。")
    if not lines:
        lines.append("保持各项办学条件指标持续达标,巩固规划实施成果。")
    return _numbered(lines)


def school_year(year: int) -> str:
    return f"{year}—{year + 1}学年"
