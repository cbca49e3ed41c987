"""Shape a stored balance outcome (indicators.results) for pages, spreadsheets and the PDF.

Nothing is computed here that the engine did not store: this only arranges, labels and
rounds for display, so the page, the API, the spreadsheet and the PDF show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from indicators.chart_data import cv_bars_spec
from indicators.charts import Bar, cv_bars
from indicators.formulas import FACILITY_FIELDS, IndicatorRule, Note
from indicators.formulas.catalogue import NOTE_TEXTS
from indicators.results import BalanceOutcome, GapFigure, IndicatorCV, Term, UnitOutcome
from schools.fields import SCHOOL_TYPES

# Chinese as data (gettext_noop only marks them); pages translate them when they display them.
LEVEL_LABELS = {"primary": gettext_noop("小学"), "junior": gettext_noop("初中")}
# Column headings for the wide per-school table; the full label is the tooltip.
SHORT_LABELS = {
    "qualified_teachers_per100": gettext_noop("高学历教师"),
    "backbone_teachers_per100": gettext_noop("骨干教师"),
    "pe_art_teachers_per100": gettext_noop("体艺教师"),
    "teaching_area_per_student": gettext_noop("教学用房"),
    "sports_area_per_student": gettext_noop("运动场馆"),
    "equipment_value_per_student": gettext_noop("仪器设备"),
    "multimedia_rooms_per100": gettext_noop("多媒体教室"),
    "computers_per100": gettext_noop("计算机"),
    "books_per_student": gettext_noop("图书"),
    "teacher_student_ratio": gettext_noop("师生比"),
    "qualified_teachers_per_student": gettext_noop("高学历教师"),
    "mid_title_teachers_per_student": gettext_noop("中级职称教师"),
}
# The shipped rule profiles' names, indicator labels and units (indicators/defaults.py) are data,
# stored in each rule version and editable; marked here so that pages can show them translated
# (the `tr` filter). Labels an administrator writes stay as written.
DEFAULT_RULE_TEXTS = (
    gettext_noop("优质均衡(教督〔2017〕6号)"),
    gettext_noop("基本均衡(教督〔2012〕3号)"),
    gettext_noop("每百名学生拥有高于规定学历教师数"),
    gettext_noop("每百名学生拥有县级以上骨干教师数"),
    gettext_noop("每百名学生拥有体育、艺术专任教师数"),
    gettext_noop("生均教学及辅助用房面积"),
    gettext_noop("生均体育运动场馆面积"),
    gettext_noop("生均教学仪器设备值"),
    gettext_noop("每百名学生拥有网络多媒体教室数"),
    gettext_noop("每百名学生拥有计算机台数"),
    gettext_noop("生均图书册数"),
    gettext_noop("师生比"),
    gettext_noop("生均高于规定学历教师数"),
    gettext_noop("生均中级及以上专业技术职务教师数"),
    gettext_noop("人/百名学生"),
    gettext_noop("间/百名学生"),
    gettext_noop("台/百名学生"),
    gettext_noop("m²/生"),
    gettext_noop("元/生"),
    gettext_noop("册/生"),
    gettext_noop("人/生"),
    # the gaps' labels (需增加…)
    gettext_noop("高于规定学历教师"),
    gettext_noop("县级以上骨干教师"),
    gettext_noop("体育、艺术专任教师"),
    gettext_noop("教学及辅助用房"),
    gettext_noop("体育运动场馆"),
    gettext_noop("仪器设备"),
    gettext_noop("网络多媒体教室"),
    gettext_noop("教学用计算机"),
    gettext_noop("图书"),
    gettext_noop("专任教师"),
    gettext_noop("中级及以上职称教师"),
    gettext_noop("m²"),
)
# The engine's notes (indicators/formulas/catalogue.py NOTE_TEXTS), marked for translation: a page
# words a note in its language from the note's figures (note_text). A unit test keeps this list
# and NOTE_TEXTS together.
NOTE_TEXTS_MARKED = (
    gettext_noop("民办学校,按规则不计入"),
    gettext_noop("非县属学校(省市直属、高校附属或企业办学),按规则不计入"),
    gettext_noop("特殊教育学校,不计入资源配置差异系数"),
    gettext_noop("职业初中,不计入资源配置差异系数"),
    gettext_noop("小学教学点,按规则不计入"),
    gettext_noop("未知学校类型 %(school_type)s,未计入"),
    gettext_noop("教学点在校生 %(count)s 人,不足 %(minimum)s 人"),
    gettext_noop("教学点所属学校 %(parent)s 不在本次数据中或没有小学部,未能合并"),
    gettext_noop("教学点已并入所属学校 %(parent)s %(parent_name)s 计算"),
    gettext_noop("在校生为 0,不参与计算"),
    gettext_noop("在校生未填报,不参与计算"),
    gettext_noop("在校生为 0,无法评估"),
    gettext_noop("本规则未设学校达标标准"),
    gettext_noop("评估指标 %(assessed)s 项,少于要求达标的 %(min_met)s 项"),
    gettext_noop("没有参与计算的学校"),
    gettext_noop("均值为 0,差异系数无定义"),
    gettext_noop("只有一所学校"),
    gettext_noop("%(label)s: %(missing)s 所学校未填报,未计入差异系数"),
    gettext_noop("%(label)s差异系数接近标准 %(threshold)s,建议人工复核"),
    gettext_noop("该学段没有参与计算的学校"),
    gettext_noop("本学段未设综合差异系数标准"),
    gettext_noop("有指标差异系数无定义,无法计算综合差异系数"),
    gettext_noop("综合差异系数接近标准 %(threshold)s,建议人工复核"),
    gettext_noop("本学段未设差异系数标准"),
    gettext_noop("差异系数无定义,无法判定: %(labels)s"),
)
# Notes whose text is data, not wording: shown as stored.
UNTRANSLATED_NOTES = frozenset({"stored_text"})


def _display(label: str) -> str:
    """A label that is data (e.g. a rule's indicator label) in the active language."""
    return _(label) if label else label


def note_text(note: Note | None) -> str:
    """An engine note in the active language, worded from its figures (Chinese: as the engine)."""
    if note is None:
        return ""
    if note.code in UNTRANSLATED_NOTES:
        return note.text
    params = dict(note.params)
    if "label" in params:
        params["label"] = _display(str(params["label"]))
    labels = params.get("labels")
    if isinstance(labels, tuple):
        params["labels"] = _("、").join(_display(label) for label in labels)
    if "school_type" in params:
        params["school_type"] = _display(SCHOOL_TYPES.get(str(params["school_type"]), str(params["school_type"])))
    if "parent" in params and params["parent"] == "—":
        params["parent"] = _("(未填)")
    template = NOTE_TEXTS[note.code]
    return _(template) % params if params else _(template)


def value_text(value: float | None, standard: float | None = None, met: bool | None = None) -> str:
    """A unit's value for display: 2 decimals, more when rounding would hide a narrow miss."""
    if value is None:
        return _("未填报")
    places = 2 if abs(value) < 1000 else 0
    if met is False and standard is not None and round(value, places) >= standard:
        places = 4  # 0.898 must not print as 0.90 next to a standard of 0.9
    return f"{value:,.{places}f}"


def short_label(rule: IndicatorRule) -> str:
    """The column heading of an indicator (untranslated; the page translates it)."""
    return SHORT_LABELS.get(rule.key, rule.label[:6])


def gap_text(gap: GapFigure) -> str:
    """A unit's gap to the standard in words, in the active language, from the stored figures.

    In Chinese this is word for word the engine's wording (GapFigure.text; a test holds the two
    together): 需增加体育运动场馆 2,730 m², 需增加仪器设备 ¥48,561.
    """
    label = _display(gap.rule.gap_label or gap.rule.label)
    if gap.shortfall is None:
        return _("%(label)s未填报") % {"label": label}
    amount = f"{int(gap.shortfall):,}"
    if gap.unit == "元":
        return _("需增加%(label)s ¥%(amount)s") % {"label": label, "amount": amount}
    return _("需增加%(label)s %(amount)s %(unit)s") % {"label": label, "amount": amount, "unit": _display(gap.unit)}


def reason_text(unit: UnitOutcome) -> str:
    """Why a unit is not in the calculation, in the active language."""
    return note_text(unit.exclusion)


# --- the balance page's views of an outcome ---------------------------------------------------


@dataclass(frozen=True)
class RuleView:
    """An indicator as a column or row heading (texts untranslated; templates use `tr`)."""

    rule: IndicatorRule
    short_label: str

    @property
    def key(self) -> str:
        return self.rule.key

    @property
    def label(self) -> str:
        return self.rule.label

    @property
    def unit(self) -> str:
        return self.rule.unit


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator's CV on the page, with its calculation (terms, largest share first)."""

    cv: IndicatorCV
    rule: RuleView
    terms: list[Term]
    note: str


@dataclass(frozen=True)
class LevelView:
    level: str
    label: str
    units: int
    passes: bool | None
    composite: float | None
    composite_threshold: float | None
    rows: list[IndicatorRow]
    notes: list[str]
    chart: str  # SVG, shown until the page's chart script draws `spec` (and in the PDF)
    spec: dict[str, Any]


def rule_views(outcome: BalanceOutcome) -> list[RuleView]:
    return [RuleView(rule, short_label(rule)) for rule in outcome.rules]


def level_views(outcome: BalanceOutcome) -> list[LevelView]:
    """Per level: indicator rows with their calculation table, and the chart."""
    views = {rule.key: RuleView(rule, short_label(rule)) for rule in outcome.rules}
    out = []
    for name, level in outcome.levels.items():
        rows = [
            IndicatorRow(ind, views[key], sorted(ind.terms, key=lambda t: -t.share), note_text(ind.note))
            for key, ind in level.indicators.items()
        ]
        bars = [Bar(_display(r.rule.label), r.cv.cv, r.cv.threshold) for r in rows]
        title = _("%(level)s:差异系数与标准") % {"level": _(LEVEL_LABELS.get(name, name))}
        chart = cv_bars(bars, title=title)
        out.append(
            LevelView(
                level=name,
                label=LEVEL_LABELS.get(name, name),
                units=level.units,
                passes=level.passes,
                composite=level.composite,
                composite_threshold=level.composite_threshold,
                rows=rows,
                notes=[note_text(n) for n in level.notes],
                chart=chart,
                spec=cv_bars_spec(bars, title=title, short=[_display(r.rule.short_label) for r in rows]),
            )
        )
    return out


@dataclass(frozen=True)
class Cell:
    key: str
    value: float | None
    standard: float | None
    met: bool | None
    gap: GapFigure | None
    formula: str
    text: str


@dataclass(frozen=True)
class UnitRow:
    """A unit on the page: its values against the standards, verdict and gaps."""

    unit: UnitOutcome
    cells: list[Cell]
    level_label: str
    reason_text: str
    gap_texts: list[str]
    note_texts: list[str]


def unit_rows(outcome: BalanceOutcome) -> list[UnitRow]:
    """Per unit: its values against the standard, verdict, gaps; excluded units last."""
    rows = []
    for unit in outcome.units:
        cells = []
        for rule in outcome.rules:
            value = unit.values.get(rule.key)
            standard = rule.standards.get(unit.level)
            met = None if standard is None or not unit.included else (value is not None and value >= standard)
            cells.append(
                Cell(
                    key=rule.key,
                    value=value,
                    standard=standard,
                    met=met,
                    gap=unit.gaps.get(rule.key),
                    formula=formula_text(rule, unit),
                    text=value_text(value, standard, met),
                )
            )
        rows.append(
            UnitRow(
                unit=unit,
                cells=cells,
                level_label=LEVEL_LABELS.get(unit.level, unit.level),
                reason_text=reason_text(unit),
                gap_texts=[gap_text(gap) for gap in unit.gaps.values()],
                note_texts=[note_text(unit.note)] if unit.note else [],
            )
        )
    rows.sort(
        key=lambda r: (not r.unit.included, r.unit.level != "primary", r.unit.passes is not False, r.unit.school_code)
    )
    return rows


def formula_text(rule: IndicatorRule, unit: UnitOutcome) -> str:
    """How a unit's value was computed, in words: "100 × 12 ÷ 310 (设施按加权学生数分摊 45.2%)"."""
    total = unit.numerators.get(rule.key)
    numerator = _("未填报") if total is None else f"{total:,.2f}"
    text = f"{'' if rule.factor == 1 else f'{rule.factor:g} × '}{numerator} ÷ {unit.students:,}"
    share = unit.facility_share
    if share < 1 and rule.numerator in FACILITY_FIELDS:
        text += _("(设施按加权学生数分摊 %(share).1f%%)") % {"share": share * 100}
    return text
