"""Shape a stored balance document for pages, spreadsheets and the PDF.

Nothing is computed here that the engine did not store: this only arranges, labels and
rounds for display, so the page, the API, the spreadsheet and the PDF show the same figures.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from indicators.charts import Bar, cv_bars

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
# Texts the engine (indicators/formulas/, which knows nothing of Django) stores as they are, so
# that pages can show them in the active language: exclusion reasons and notes without figures.
# A unit test keeps this list and the engine's texts together. Texts with figures in them (a
# teaching point's head count, a parent school's code) stay as stored.
ENGINE_TEXTS = (
    gettext_noop("民办学校,按规则不计入"),
    gettext_noop("非县属学校(省市直属、高校附属或企业办学),按规则不计入"),
    gettext_noop("特殊教育学校,不计入资源配置差异系数"),
    gettext_noop("职业初中,不计入资源配置差异系数"),
    gettext_noop("小学教学点,按规则不计入"),
    gettext_noop("在校生为 0,不参与计算"),
    gettext_noop("在校生未填报,不参与计算"),
    gettext_noop("在校生为 0,无法评估"),
    gettext_noop("均值为 0,差异系数无定义"),
    gettext_noop("只有一所学校"),
    gettext_noop("没有参与计算的学校"),
    gettext_noop("本规则未设学校达标标准"),
    gettext_noop("该学段没有参与计算的学校"),
    gettext_noop("本学段未设综合差异系数标准"),
    gettext_noop("有指标差异系数无定义,无法计算综合差异系数"),
    gettext_noop("本学段未设差异系数标准"),
)
SUMMARY_UNIT_KEYS = (
    "school_code",
    "level",
    "students",
    "included",
    "excluded_reason",
    "values",
    "met",
    "passes",
    "gaps",
)
SUMMARY_GAP_KEYS = ("standard", "value", "shortfall", "unit")
SUMMARY_INDICATOR_KEYS = ("mean", "sd", "cv", "threshold", "passes")


def to_summary(document: dict[str, Any]) -> dict[str, Any]:
    """The `balance_summary --json` shape (issue #3), projected from a stored document."""
    return {
        "district": document["district"],
        "year": document["year"],
        "profile": document["profile"],
        "levels": {
            level: {
                "units": data["units"],
                "indicators": {
                    key: {k: ind[k] for k in SUMMARY_INDICATOR_KEYS} for key, ind in data["indicators"].items()
                },
                "composite": data["composite"],
                "passes": data["passes"],
            }
            for level, data in document["levels"].items()
        },
        "units": [
            {
                **{k: unit[k] for k in SUMMARY_UNIT_KEYS if k != "gaps"},
                "gaps": {key: {k: gap[k] for k in SUMMARY_GAP_KEYS} for key, gap in unit["gaps"].items()},
            }
            for unit in document["units"]
        ],
    }


def rules_by_key(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        rule["key"]: {**rule, "short_label": SHORT_LABELS.get(rule["key"], rule["label"][:6])}
        for rule in document["rules"]["indicators"]
    }


def value_text(value: float | None, standard: float | None = None, met: bool | None = None) -> str:
    """A unit's value for display: 2 decimals, more when rounding would hide a narrow miss."""
    if value is None:
        return _("未填报")
    places = 2 if abs(value) < 1000 else 0
    if met is False and standard is not None and round(value, places) >= standard:
        places = 4  # 0.898 must not print as 0.90 next to a standard of 0.9
    return f"{value:,.{places}f}"


def county_verdict(document: dict[str, Any]) -> bool | None:
    """The county passes when every level with units passes; None when a level can't be judged."""
    verdicts = [lvl["passes"] for lvl in document["levels"].values() if lvl["units"]]
    if not verdicts:
        return None
    if any(v is False for v in verdicts):
        return False
    if any(v is None for v in verdicts):
        return None
    return True


def level_views(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per level: indicator rows with their calculation table, and the chart."""
    rules = rules_by_key(document)
    names = {u["school_code"]: u.get("school_name", u["school_code"]) for u in document["units"]}
    out = []
    for level, data in document["levels"].items():
        rows = []
        for key, ind in data["indicators"].items():
            terms = [{**t, "school_name": names.get(t["school_code"], t["school_code"])} for t in ind.get("terms", [])]
            terms.sort(key=lambda t: -t["share"])
            rows.append({"key": key, "rule": rules.get(key, {}), **ind, "terms": terms})
        chart = cv_bars(
            [Bar(_display(r["rule"].get("label", r["key"])), r["cv"], r["threshold"]) for r in rows],
            title=_("%(level)s:差异系数与标准") % {"level": _(LEVEL_LABELS.get(level, level))},
        )
        out.append({"level": level, "label": LEVEL_LABELS.get(level, level), **data, "rows": rows, "chart": chart})
    return out


def _display(label: str) -> str:
    """A label that is data (e.g. a rule's indicator label) in the active language, for charts."""
    return _(label) if label else label


def unit_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per unit: its values against the standard, verdict, gaps; excluded units last."""
    rules = rules_by_key(document)
    rows = []
    for unit in document["units"]:
        cells = []
        for key, rule in rules.items():
            value = unit["values"].get(key)
            standard = (rule.get("standards") or {}).get(unit["level"])
            met = None if standard is None or not unit["included"] else (value is not None and value >= standard)
            cells.append(
                {
                    "key": key,
                    "value": value,
                    "standard": standard,
                    "met": met,
                    "gap": unit["gaps"].get(key),
                    "formula": _formula(rule, unit),
                    "text": value_text(value, standard, met),
                }
            )
        rows.append(
            {
                **unit,
                "cells": cells,
                "level_label": LEVEL_LABELS.get(unit["level"], unit["level"]),
                "reason_text": reason_text(unit, document["rules"]),
                "gap_texts": [gap_text(gap, rules.get(key, {})) for key, gap in unit["gaps"].items()],
                "note_texts": [engine_text(n) for n in unit.get("notes", [])],
            }
        )
    rows.sort(key=lambda r: (not r["included"], r["level"] != "primary", r["passes"] is not False, r["school_code"]))
    return rows


def engine_text(text: str | None) -> str:
    """A text the engine stored, in the active language when it is one of ENGINE_TEXTS."""
    return _display(text or "")


def reason_text(unit: dict[str, Any], rules: dict[str, Any]) -> str:
    """Why a unit is not in the calculation, in the active language.

    A teaching point below the minimum head count is worded from its figures (in Chinese word
    for word the stored reason); other reasons without figures go through the catalogue.
    """
    minimum = (rules.get("scope") or {}).get("teaching_point_min_students")
    if unit.get("excluded_code") == "teaching_point_small" and minimum is not None:
        return _("教学点在校生 %(count)s 人,不足 %(minimum)s 人") % {"count": unit["students"], "minimum": minimum}
    return engine_text(unit.get("excluded_reason"))


def gap_text(gap: dict[str, Any], rule: dict[str, Any]) -> str:
    """A unit's gap to the standard in words, in the active language, from the stored figures.

    In Chinese this is word for word the text the engine stored with the gap (formulas.compliance._gap;
    a test holds the two together): 需增加体育运动场馆 2,730 m², 需增加仪器设备 ¥48,561.
    """
    label = _display(rule.get("gap_label") or rule.get("label", ""))
    if gap.get("shortfall") is None:
        return _("%(label)s未填报") % {"label": label}
    amount = f"{int(gap['shortfall']):,}"
    if gap.get("unit") == "元":
        return _("需增加%(label)s ¥%(amount)s") % {"label": label, "amount": amount}
    return _("需增加%(label)s %(amount)s %(unit)s") % {
        "label": label,
        "amount": amount,
        "unit": _display(gap.get("unit") or ""),
    }


def _formula(rule: dict[str, Any], unit: dict[str, Any]) -> str:
    """How a unit's value was computed, in words: "100 × 12 ÷ 310 (设施按加权学生数分摊 45.2%)"."""
    total = (unit.get("totals") or {}).get(rule["numerator"])
    factor = rule["factor"]
    numerator = _("未填报") if total is None else f"{total:,.2f}"
    text = f"{'' if factor == 1 else f'{factor:g} × '}{numerator} ÷ {unit['students']:,}"
    share = unit.get("facility_share", 1)
    if share is not None and share < 1 and rule["numerator"] in FACILITY_NUMERATORS:
        text += _("(设施按加权学生数分摊 %(share).1f%%)") % {"share": share * 100}
    return text


FACILITY_NUMERATORS = frozenset(
    {"teaching_area", "indoor_sports_area", "sports_area", "equipment_value", "books", "computers", "multimedia_rooms"}
)
