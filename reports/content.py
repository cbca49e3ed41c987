"""Pure helpers that arrange a stored balance outcome and plain rows into report sections.

No ORM here (reports.selectors reads, this arranges). Nothing is computed that the engine did
not store: values, CVs, verdicts, gaps and findings are read from the stored outcome
(indicators.results) and worded with indicators.presentation (the same helpers as the balance
page), only formatted. The few
figures made here are counts and sums of stored figures (schools failing an indicator, the sum
of their stored shortfalls), labelled as such.

Every number is a `Num`: the stored value, the text the PDF prints and the Excel number format
that shows the same text, so the PDF and the spreadsheet cannot disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from indicators.charts import Bar, cv_bars
from indicators.formulas import Profile, SchoolRule
from indicators.presentation import LEVEL_LABELS, note_text, short_label, unit_rows, value_text
from indicators.results import BalanceOutcome, CompositeAbove, CvAbove, CvNear, UnitFails, UnitShort
from reports.charts import met_histogram, share_bars, with_report_font
from reports.sections import Assessment
from schools.fields import AREA_TYPES, SCHOOL_TYPES

LEVEL_ORDER = ("primary", "junior")
PASS_MARK, FAIL_MARK = "√", "×"  # both in GB2312 (the report font) and usual in official tables
DASH = "—"
NAMES_LISTED = 8  # schools named in one problem before "等 N 所"


# --- numbers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    """A number as the report shows it: the stored value, its text and an Excel format."""

    value: float | int | None
    text: str
    fmt: str = "General"

    def __str__(self) -> str:
        return self.text


def _excel_fixed(places: int, thousands: bool = True) -> str:
    base = "#,##0" if thousands else "0"
    return base if places == 0 else f"{base}.{'0' * places}"


def fixed(value: float | None, places: int, *, prefix: str = "", thousands: bool = True) -> Num:
    """`places` decimals with thousands commas, as the pages' `num:N` filter prints them."""
    if value is None:
        return Num(None, DASH, "@")
    sep = "," if thousands else ""
    fmt = _excel_fixed(places, thousands)
    return Num(value, f"{prefix}{value:{sep}.{places}f}", f'"{prefix}"{fmt}' if prefix else fmt)


def count(value: int | float | None) -> Num:
    """A whole number with thousands commas."""
    if value is None:
        return Num(None, DASH, "@")
    return Num(value, f"{round(value):,}", "#,##0")


def plain(value: float | None) -> Num:
    """As the pages' `num` filter: no trailing zeros, at most 2 decimals (standards, targets)."""
    if value is None:
        return Num(None, DASH, "@")
    number = float(value)
    if number == int(number):
        return Num(value, f"{int(number):,}", "#,##0")
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    places = len(text.rsplit(".", 1)[1]) if "." in text else 0
    return Num(value, text, _excel_fixed(places))


def percent(share: float | None, places: int = 1) -> Num:
    """A share 0..1 as a percentage."""
    if share is None:
        return Num(None, DASH, "@")
    return Num(share, f"{share * 100:.{places}f}%", "0." + "0" * places + "%" if places else "0%")


def unit_value(value: float | None, standard: float | None, met: bool | None) -> Num:
    """A unit's indicator value exactly as the balance page prints it (presentation.value_text)."""
    text = value_text(value, standard, met)
    if value is None:
        return Num(None, text, "@")
    # The same precision rule as value_text: 2 decimals, 0 from 1,000 up, 4 for a narrow miss.
    places = 2 if abs(value) < 1000 else 0
    if met is False and standard is not None and round(value, places) >= standard:
        places = 4
    return Num(value, text, _excel_fixed(places))


def verdict_text(passes: bool | None) -> str:
    if passes is True:
        return "达标"
    if passes is False:
        return "未达标"
    return "无法判定"


def mark(met: bool | None) -> str:
    return PASS_MARK if met is True else FAIL_MARK if met is False else ""


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, level)


def level_key(level: str) -> tuple[int, str]:
    return (LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER), level)


# --- 基本情况 ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """One school open in the year, from the registry and that year's statistics."""

    code: str
    name: str
    school_type: str
    area_type: str
    ownership: str
    county_run: bool
    status: str | None  # statistics workflow status; None = not reported
    students: Mapping[str, int | None]  # primary / junior / senior
    teachers: Mapping[str, int | None]  # primary / junior


def basic_facts(rows: Sequence[RegistryRow]) -> dict[str, Any]:
    """Schools by type and area, students and full-time teachers by section (表Ⅰ)."""
    areas = list(AREA_TYPES)
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        by_type[row.school_type][row.area_type] += 1
    table = []
    for school_type, label in SCHOOL_TYPES.items():
        counts = by_type.get(school_type)
        if not counts:
            continue
        table.append(
            {
                "label": label,
                "cells": [count(counts.get(a, 0)) for a in areas],
                "total": count(sum(counts.values())),
            }
        )
    totals = [count(sum(by_type[t].get(a, 0) for t in by_type)) for a in areas]

    def total(kind: str, section: str) -> int:
        return sum((getattr(r, kind).get(section) or 0) for r in rows)

    reported = [r for r in rows if r.status is not None]
    return {
        "areas": [AREA_TYPES[a] for a in areas],
        "table": table,
        "totals": totals,
        "schools": count(len(rows)),
        "private": count(sum(1 for r in rows if r.ownership == "private")),
        "non_county": count(sum(1 for r in rows if not r.county_run)),
        "reported": count(len(reported)),
        "approved": count(sum(1 for r in rows if r.status == "approved")),
        "not_reported": [r.name for r in rows if r.status is None],
        "unapproved": [r.name for r in reported if r.status != "approved"],
        "students": {s: count(total("students", s)) for s in ("primary", "junior")},
        "teachers": {s: count(total("teachers", s)) for s in ("primary", "junior")},
    }


# --- 资源配置 and 校际差异系数 --------------------------------------------------------------------


def cv_tables(outcome: BalanceOutcome) -> list[dict[str, Any]]:
    """Per level, 校际差异系数表 (§7.2 table 3): the stored totals, mean, SD, CV and verdicts."""
    out = []
    for name in sorted(outcome.levels, key=level_key):
        level = outcome.levels[name]
        rows: list[dict[str, Any]] = []
        for key, ind in level.indicators.items():
            threshold = ind.threshold
            rows.append(
                {
                    "key": key,
                    "label": ind.rule.label,
                    "unit": ind.rule.unit,
                    "total_resource": fixed(ind.total_resource, 2),
                    "total_students": count(ind.total_students),
                    "mean": fixed(ind.mean, 4),
                    "sd": fixed(ind.sd, 4),
                    "cv": fixed(ind.cv, 3),
                    "threshold": fixed(threshold, 2, prefix="≤ ") if threshold is not None else Num(None, DASH, "@"),
                    "passes": ind.passes,
                    "verdict": verdict_text(ind.passes) if threshold is not None else "不单独判定",
                    "near": ind.near_threshold,
                    "note": note_text(ind.note),
                    "short": short_label(ind.rule),
                    "terms": [
                        {
                            "code": t.school_code,
                            "school_name": t.school_name,
                            "students": count(t.students),
                            "value": fixed(t.value, 4),
                            "weight": fixed(t.weight, 4),
                            "term": fixed(t.term, 4),
                            "share": percent(t.share),
                        }
                        for t in sorted(ind.terms, key=lambda t: -t.share)
                    ],
                }
            )
        composite = None
        if level.composite is not None or level.composite_threshold is not None:
            ct = level.composite_threshold
            composite = {
                "cv": fixed(level.composite, 3),
                "threshold": fixed(ct, 2, prefix="≤ ") if ct is not None else Num(None, DASH, "@"),
                "verdict": verdict_text(level.passes) if ct is not None else "仅供参考",
            }
        out.append(
            {
                "level": name,
                "label": level_label(name),
                "units": level.units,
                "passes": level.passes,
                "verdict": verdict_text(level.passes),
                "rows": rows,
                "composite": composite,
                "notes": [note_text(n) for n in level.notes],
                "chart": with_report_font(
                    cv_bars(
                        [Bar(r["label"], r["cv"].value, r["threshold"].value) for r in rows],
                        title=f"{level_label(name)}:差异系数与标准",
                    )
                ),
            }
        )
    return out


def calc_tables(cv: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per level, the data to check every CV by hand: each unit's students P_i and values X_i,
    and per indicator the students P, mean, SD and CV (all as stored)."""
    out = []
    for lv in cv:
        units: dict[str, dict[str, Any]] = {}
        for i, row in enumerate(lv["rows"]):
            for t in row["terms"]:
                unit = units.setdefault(
                    t["code"], {"code": t["code"], "name": t["school_name"], "students": t["students"], "values": {}}
                )
                unit["values"][i] = t["value"]
        rows = [
            {**u, "values": [u["values"].get(i, Num(None, DASH, "@")) for i in range(len(lv["rows"]))]}
            for u in sorted(units.values(), key=lambda u: u["code"])
        ]
        out.append(
            {
                "label": lv["label"],
                "columns": [{"label": r["label"], "short": r["short"], "unit": r["unit"]} for r in lv["rows"]],
                "rows": rows,
                "students": [r["total_students"] for r in lv["rows"]],
                "mean": [r["mean"] for r in lv["rows"]],
                "sd": [r["sd"] for r in lv["rows"]],
                "cv": [r["cv"] for r in lv["rows"]],
            }
        )
    return out


def unit_tables(outcome: BalanceOutcome) -> dict[str, Any]:
    """Per level, each included unit's values against the standards with a pass mark (表Ⅱ-2)."""
    rows = unit_rows(outcome)
    levels = []
    for level in sorted(outcome.levels, key=level_key):
        level_rows = [r for r in rows if r.unit.level == level and r.unit.included]
        columns: list[dict[str, Any]] = [
            {
                "key": rule.key,
                "short": short_label(rule),
                "label": rule.label,
                "unit": rule.unit,
                "standard": plain(rule.standards.get(level)),
            }
            for rule in outcome.rules
        ]
        table = []
        for r in level_rows:
            unit = r.unit
            cells = [
                {"num": unit_value(c.value, c.standard, c.met), "mark": mark(c.met), "met": c.met} for c in r.cells
            ]
            table.append(
                {
                    "code": unit.school_code,
                    "name": unit.school_name,
                    "students": count(unit.students),
                    "cells": cells,
                    "met": f"{unit.met}/{unit.assessed}" if unit.assessed else DASH,
                    "passes": unit.passes,
                    "verdict": verdict_text(unit.passes) if unit.assessed else DASH,
                    "merged_from": list(unit.merged_from),
                    "approved": unit.approved,
                }
            )
        assessed = [r for r in level_rows if r.unit.assessed]
        levels.append(
            {
                "level": level,
                "label": level_label(level),
                "columns": columns,
                "rows": table,
                "assessed": len(assessed),
                "passing": sum(1 for r in assessed if r.unit.passes is True),
                "has_standards": any(c["standard"].value is not None for c in columns),
            }
        )
    excluded = [
        {
            "code": r.unit.school_code,
            "name": r.unit.school_name,
            "level": level_label(r.unit.level),
            "students": count(r.unit.students),
            "reason": r.reason_text,
        }
        for r in rows
        if not r.unit.included
    ]
    return {"levels": levels, "excluded": excluded}


def gap_rows(outcome: BalanceOutcome) -> list[dict[str, Any]]:
    """Each unmet indicator of each included unit: value, standard and the stored shortfall."""
    order = {rule.key: i for i, rule in enumerate(outcome.rules)}
    out: list[dict[str, Any]] = []
    for unit, gap in outcome.gaps():
        rule = gap.rule
        out.append(
            {
                "code": unit.school_code,
                "name": unit.school_name,
                "level": level_label(unit.level),
                "level_key": unit.level,
                "key": rule.key,
                "label": rule.label,
                "short": short_label(rule),
                "unit": rule.unit,
                "value": unit_value(gap.value, gap.standard, False),
                "standard": plain(gap.standard),
                "shortfall": gap.shortfall,
                "gap_unit": gap.unit,
                "text": gap.text,
                "below_floor": gap.below_floor,
                "passes": unit.passes,
            }
        )
    out.sort(key=lambda g: (level_key(g["level_key"]), g["passes"] is not False, g["code"], order.get(g["key"], 99)))
    for i, row in enumerate(out):  # the table names a unit on its first row only
        row["first"] = i == 0 or (out[i - 1]["code"], out[i - 1]["level_key"]) != (row["code"], row["level_key"])
    return out


def compliance_charts(outcome: BalanceOutcome, tables: Mapping[str, Any]) -> list[dict[str, str]]:
    """Per level with standards: share of schools meeting each indicator, and schools by items met."""
    charts = []
    min_met = outcome.profile.school_rule.min_met
    for lv in tables["levels"]:
        if not lv["has_standards"] or not lv["rows"]:
            continue
        rows = []
        for i, column in enumerate(lv["columns"]):
            judged = [r["cells"][i]["met"] for r in lv["rows"] if r["cells"][i]["met"] is not None]
            met = sum(1 for m in judged if m)
            rows.append((column["short"], met / len(judged) if judged else None, f"{met}/{len(judged)}"))
        by_met: Counter[str] = Counter(r["met"] for r in lv["rows"] if r["met"] != DASH)
        assessed = max((int(k.split("/")[1]) for k in by_met), default=0)
        histogram = [
            (f"{n}项", by_met.get(f"{n}/{assessed}", 0), min_met is None or n >= min_met)
            for n in range(assessed, -1, -1)
        ]
        charts.append(
            {
                "label": lv["label"],
                "shares": share_bars(rows, title=f"{lv['label']}:各指标学校达标率"),
                "histogram": met_histogram(histogram, title=f"{lv['label']}:按达标项数统计的学校数"),
            }
        )
    return charts


def school_rule_text(rule: SchoolRule) -> str:
    """The school-level rule in words, e.g. "至少 6 项达标,其余项不低于标准的 85%"."""
    parts = []
    if rule.min_met is not None:
        parts.append(f"至少 {rule.min_met} 项达标")
    if rule.max_failing is not None:
        parts.append(f"未达标不超过 {rule.max_failing} 项")
    if rule.floor_ratio is not None:
        parts.append(f"其余项不低于标准的 {rule.floor_ratio * 100:g}%")
    return ",".join(parts) or "本规则未设学校达标标准"


# --- 问题清单 and 整改建议 ---------------------------------------------------------------------


@dataclass
class Problem:
    """One entry of the 问题清单 with its 整改建议, derived from stored failures and gaps."""

    area: str
    text: str
    suggestion: str
    schools: list[str] = field(default_factory=list)

    @property
    def schools_text(self) -> str:
        return names_text(self.schools)


def _bare(threshold: Num) -> str:
    """A threshold's number without its "≤ " prefix."""
    return fixed(threshold.value, 2).text if threshold.value is not None else DASH


def names_text(names: Sequence[str]) -> str:
    if len(names) <= NAMES_LISTED:
        return "、".join(names)
    return "、".join(names[:NAMES_LISTED]) + f" 等 {len(names)} 所"


def derive_problems(
    outcome: BalanceOutcome,
    cv: Sequence[Mapping[str, Any]],
    *,
    unapproved: Sequence[str] = (),
    not_reported: Sequence[str] = (),
    plan_missing: Sequence[str] = (),
) -> list[Problem]:
    """问题清单 and 整改建议 from the outcome's findings (§7.2 table 6), in a fixed order.

    1. CVs above their threshold (and a failing 2012 composite), with the schools that add most
       to the variance below the county mean; 2. per indicator, the schools below the standard
       and the sum of their stored shortfalls; 3. schools failing the school-level rule;
       4. CVs within 0.0005 of the threshold (to be checked by hand); 5. data not reported or
       not approved; 6. school plans without an approved progress report. Problems recorded in
       the assessment app are listed separately, as recorded (owner, deadline, state). `cv` is
       the report's CV table (cv_tables), whose formatted figures the texts quote.
    """
    shown = {(lv["level"], row["key"]): row for lv in cv for row in lv["rows"]}
    composites = {lv["level"]: lv["composite"] for lv in cv}
    findings = outcome.findings
    problems: list[Problem] = []
    for finding in findings:
        if isinstance(finding, CvAbove):
            ind = finding.indicator
            row = shown[(ind.level, ind.key)]
            names = [f"{t.school_name}({fixed(t.value, 2)})" for t in finding.below_mean[:3]]
            problems.append(
                Problem(
                    "校际差异",
                    f"{level_label(ind.level)}「{ind.rule.label}」差异系数 {row['cv']},"
                    f"高于标准 {_bare(row['threshold'])}。",
                    "优先为低于全县均值("
                    + f"{row['mean']} {ind.rule.unit})的学校补充该项资源"
                    + (f",差异贡献最大的是{'、'.join(names)}" if names else "")
                    + ";逐年监测,直至差异系数降至标准以内。",
                    [t.school_name for t in finding.below_mean],
                )
            )
        elif isinstance(finding, CompositeAbove):
            composite = composites[finding.level.level]
            worst = [shown[(finding.level.level, i.key)] for i in finding.worst]
            problems.append(
                Problem(
                    "校际差异",
                    f"{level_label(finding.level.level)}综合差异系数 {composite['cv']},"
                    f"高于标准 {_bare(composite['threshold'])}。",
                    "从差异系数最高的指标入手:" + "、".join(f"{r['label']}({r['cv']})" for r in worst) + "。",
                )
            )
    grouped: dict[tuple[str, str], list[UnitShort]] = defaultdict(list)
    for finding in findings:
        if isinstance(finding, UnitShort):
            grouped[(finding.unit.level, finding.gap.key)].append(finding)
    for (level, _key), items in sorted(grouped.items(), key=lambda kv: (kv[0][0] != "primary", kv[0][1])):
        rule = items[0].gap.rule
        known = [f.gap.shortfall for f in items if f.gap.shortfall is not None]
        missing = len(items) - len(known)
        total = sum(known)
        total_text = f"¥{total:,.0f}" if rule.gap_unit == "元" else f"{total:,.0f} {rule.gap_unit}"
        standard = plain(items[0].gap.standard)
        text = f"{level_label(level)} {len(items)} 个计算单元「{rule.label}」低于标准 {standard} {rule.unit}"
        text += f",合计需增加{rule.gap_label} {total_text}" if known else ""
        text += f"({missing} 个单元未填报)" if missing else ""
        problems.append(
            Problem(
                "资源配置",
                text + "。",
                f"按标准逐校补足{rule.gap_label}(各校缺口见“未达标学校及差距”表);纳入县域推进计划和学校三年发展规划的年度目标。",
                [f.unit.school_name for f in items],
            )
        )
    failing = [f.unit for f in findings if isinstance(f, UnitFails)]
    if failing:
        problems.append(
            Problem(
                "资源配置",
                f"{len(failing)} 个计算单元未达到学校达标要求({school_rule_text(outcome.profile.school_rule)})。",
                "逐校制定达标计划,明确建设项目、资金来源和完成时限。",
                [u.school_name for u in failing],
            )
        )
    for finding in findings:
        if isinstance(finding, CvNear):
            ind = finding.indicator
            problems.append(
                Problem(
                    "校际差异",
                    f"{level_label(ind.level)}「{ind.rule.label}」差异系数 {shown[(ind.level, ind.key)]['cv']} "
                    "与标准相差不足 0.0005,处于临界。",
                    "复核相关学校的统计数据,防止下一学年超标。",
                )
            )
    if not_reported:
        problems.append(
            Problem(
                "数据质量",
                f"{len(not_reported)} 所学校未填报本学年统计数据,未参与计算。",
                "督促学校完成填报和审核后重新生成报告。",
                list(not_reported),
            )
        )
    if unapproved:
        problems.append(
            Problem(
                "数据质量",
                f"{len(unapproved)} 所学校本学年统计数据尚未审核,本报告结果为预览。",
                "完成数据审核后重新生成报告。",
                list(unapproved),
            )
        )
    if plan_missing:
        problems.append(
            Problem(
                "规划实施",
                f"{len(plan_missing)} 所学校的三年发展规划本学年自评尚未审核通过。",
                "督促学校按期提交年度自评,教育局及时审核。",
                list(plan_missing),
            )
        )
    return problems


# --- plans ----------------------------------------------------------------------------------


def board_rows(rows: Sequence[Mapping[str, Any]], profile: Profile) -> list[dict[str, Any]]:
    """The county plan board (plans.selectors.county_plan_board) formatted for the report."""
    out = []
    for row in rows:
        kind = row["kind"]

        def fmt(value: float | None, kind: str = kind) -> Num:
            if kind == "cv":
                return fixed(value, 3)
            if kind == "compliance_share":
                return Num(value, DASH, "@") if value is None else Num(value, f"{value:.1f}%", '0.0"%"')
            return plain(value)

        labels = {rule.key: rule.label for rule in profile.indicators}
        out.append(
            {
                "label": str(row["label"]),
                "indicator": labels.get(row["indicator"], row["indicator"]) if row["indicator"] else "",
                "level": level_label(row["level"]) if row["level"] else "全部",
                "cells": [
                    {"year": c["year"], "target": fmt(c["target"]), "actual": fmt(c["actual"]), "mark": mark(c["met"])}
                    for c in row["cells"]
                ],
            }
        )
    return out


def target_rows(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """A school plan's targets (plans.selectors.plan_target_rows) formatted for the report."""
    out = []
    for row in rows:
        target = row.target
        out.append(
            {
                "name": target.name,
                "unit": target.unit,
                "baseline": plain(None if target.baseline is None else float(target.baseline)),
                "cells": [
                    {
                        "year": c["year"],
                        "target": plain(c["target"]),
                        "actual": plain(c["actual"]),
                        "mark": mark(c["met"]),
                    }
                    for c in row.cells
                ],
            }
        )
    return out


# --- school report --------------------------------------------------------------------------


def school_history(outcomes: Sequence[tuple[int, BalanceOutcome]], school_code: str) -> list[dict[str, Any]]:
    """One school's units over the years: per level, each indicator's value against its standard.

    `outcomes` are (year, stored outcome) pairs in year order; a mixed school has a primary and a
    junior unit, each with its own table.
    """
    levels: dict[str, dict[str, Any]] = {}
    for year, outcome in outcomes:
        for unit in outcome.units_of(school_code):
            entry = levels.setdefault(
                unit.level, {"level": unit.level, "label": level_label(unit.level), "years": [], "rows": {}}
            )
            entry["years"].append(
                {
                    "year": year,
                    "included": unit.included,
                    "reason": note_text(unit.exclusion),
                    "met": f"{unit.met}/{unit.assessed}" if unit.assessed else DASH,
                    "verdict": verdict_text(unit.passes) if unit.assessed else DASH,
                    "students": count(unit.students),
                }
            )
            for rule in outcome.rules:
                standard = rule.standards.get(unit.level)
                value = unit.values.get(rule.key)
                met = None if standard is None or not unit.included else (value is not None and value >= standard)
                row = entry["rows"].setdefault(
                    rule.key, {"label": rule.label, "short": short_label(rule), "unit": rule.unit, "cells": {}}
                )
                row["standard"] = plain(standard)  # the latest year's standard is shown
                row["cells"][year] = {"num": unit_value(value, standard, met), "mark": mark(met), "met": met}
    out = []
    for entry in sorted(levels.values(), key=lambda e: level_key(e["level"])):
        years = [y["year"] for y in entry["years"]]
        rows = []
        for row in entry["rows"].values():
            rows.append(
                {**row, "cells": [row["cells"].get(y, {"num": Num(None, DASH, "@"), "mark": ""}) for y in years]}
            )
        out.append({**entry, "rows": rows})
    return out


def ratio_rows(outcome: BalanceOutcome, school_code: str) -> list[tuple[str, float | None, str]]:
    """For the school chart: each indicator's value as a share of its standard (1 = on standard)."""
    out = []
    for unit in outcome.units_of(school_code):
        for rule in outcome.rules:
            standard = rule.standards.get(unit.level)
            value = unit.values.get(rule.key)
            if standard:
                label = f"{level_label(unit.level)}·{short_label(rule)}"
                out.append(
                    (label, None if value is None else value / standard, f"{value_text(value)}/{plain(standard)}")
                )
    return out


# --- assessment sections ---------------------------------------------------------------------

CHINESE_NUMBERS = "一二三四五六七八九十"


def assessment_view(assessment: Assessment) -> dict[str, Any]:
    """The assessment app's parts and recorded problems (reports.sections) for the report."""
    parts = []
    for i, section in enumerate(assessment.sections):
        items = []
        groups = []
        if section.key == "recognition":
            groups = [
                {
                    "label": r.get("label", ""),
                    "responses": count(r.get("responses")),
                    "counted": count(r.get("counted")),
                    "positive": count(r.get("positive")),
                    "rate": percent(r.get("rate")),
                    "weight": plain(r.get("weight")),
                }
                for r in section.rows
            ]
        else:
            items = [
                {
                    "number": r.get("key") or r.get("number", ""),
                    "text": r.get("text", ""),
                    "standard": r.get("standard", ""),
                    "value": r.get("value", ""),
                    "verdict": r.get("verdict"),
                    "mark": mark(r.get("verdict")),
                    "veto": bool(r.get("veto")),
                    "note": ";".join(
                        [
                            *(r.get("missing") or []),
                            *(
                                ["未达标学校:" + names_text([f.get("name", "") for f in r["failing_schools"]])]
                                if r.get("failing_schools")
                                else []
                            ),
                            *([r["note"]] if r.get("note") else []),
                        ]
                    ),
                }
                for r in section.rows
            ]
        parts.append(
            {
                "key": section.key,
                "number": CHINESE_NUMBERS[i],
                "title": section.title,
                "available": section.available,
                "message": section.message,
                "verdict": section.verdict,
                "verdict_text": verdict_text(section.verdict),
                "summary": section.summary,
                "items": items,
                "groups": groups,
            }
        )
    problems = [
        {
            "year": r.get("year", ""),
            "source": r.get("source_label", ""),
            "title": r.get("title", ""),
            "detail": r.get("detail", ""),
            "school": r.get("school_code", ""),
            "owner": r.get("owner", ""),
            "deadline": r["deadline"].strftime("%Y-%m-%d") if hasattr(r.get("deadline"), "strftime") else "",
            "state": r.get("state_label", ""),
        }
        for r in assessment.problems
    ]
    return {
        "parts": parts,
        "problems": problems,
        "problems_summary": assessment.problems_summary,
        "source_available": assessment.source_available,
    }
