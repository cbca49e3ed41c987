"""Reads of the county assessment: the checklist in force, judgements, the overview and the
report's sections (the survey's and the problem list's own reads are in assessment/survey/ and
assessment/problems/).

Judgements are computed here on every read from the stored data (statistics, entries, answers)
with the pure functions of assessment/formulas/; nothing computed is stored except problems.
Access is the caller's business (core.access): these functions take a district the caller may see.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

from assessment import formulas
from assessment.defaults import CHECKLIST_DEFAULT_PROFILE, GROUPS
from assessment.formulas.text import Text, joined
from assessment.models import ChecklistVersion, ItemEntry, Problem
from assessment.problems.selectors import problem_list, problem_rows
from assessment.survey.selectors import survey_get, survey_summary
from indicators.models import BalanceResult, RuleProfile
from indicators.selectors import balance_state_get
from schools.models import District, Status
from schools.selectors import district_school_rows

# Statistics the automatic items read.
FACT_KEYS = (
    "students_primary",
    "students_junior",
    "classes_primary",
    "classes_junior",
    "max_class_size_primary",
    "max_class_size_junior",
    "music_rooms",
    "art_rooms",
    "music_room_min_area",
    "art_room_min_area",
)


# --- checklist ------------------------------------------------------------------------------


def checklist_version_for(profile: RuleProfile) -> ChecklistVersion | None:
    """The checklist in force for a profile: its own latest version, else the national default's.

    A profile without a checklist of its own (a province's copy of the 2017 rules) uses the
    default profile's checklist when it follows the 2017 method (each CV tested on its own); a
    2012-method profile has no checklist.
    """
    own = ChecklistVersion.objects.filter(profile=profile).order_by("-version").first()
    if own is not None or profile.name == CHECKLIST_DEFAULT_PROFILE:
        return own
    current = profile.current_version()
    if current is None or current.definition.get("county_rule") != "each_indicator":
        return None
    return ChecklistVersion.objects.filter(profile__name=CHECKLIST_DEFAULT_PROFILE).order_by("-version").first()


@lru_cache(maxsize=64)
def _parsed(version_id: int, definition_json: str) -> formulas.Checklist:
    return formulas.Checklist.from_dict(json.loads(definition_json))


def checklist_of(version: ChecklistVersion) -> formulas.Checklist:
    """The pure-layer checklist of a stored version (versions are immutable: cached by id)."""
    return _parsed(version.pk, json.dumps(version.definition, sort_keys=True))


def district_profile(district: District, profile_name: str | None = None) -> RuleProfile | None:
    """The named profile if the district is evaluated under it, else its first profile."""
    from indicators.selectors import current_profile, profiles_for_district

    profiles = profiles_for_district(district)
    if profile_name:
        return next((p for p in profiles if p.name == profile_name), None)
    current = current_profile(district, profiles)
    if current is not None and checklist_version_for(current) is not None:
        return current
    with_checklist = [p for p in profiles if checklist_version_for(p) is not None]
    candidates = with_checklist or profiles
    return candidates[0] if candidates else None


# --- facts and entries ----------------------------------------------------------------------


def school_facts(district: District, year: int) -> list[formulas.SchoolFacts]:
    """Every school open in `year` with what the automatic items read (3 queries)."""
    out = []
    for row in district_school_rows(district, year):
        stats = row.statistics
        values = None
        if stats is not None:
            values = {k: (None if getattr(stats, k) is None else float(getattr(stats, k))) for k in FACT_KEYS}
        out.append(
            formulas.SchoolFacts(
                school_code=row.school.code,
                school_name=row.version.name,
                school_type=row.version.school_type,
                stats=values,
                approved=stats is not None and stats.status == Status.APPROVED,
            )
        )
    return out


def entries_for(district: District, year: int) -> dict[str, ItemEntry]:
    entries = ItemEntry.objects.filter(district=district, year=year).prefetch_related("evidence")
    return {e.item_key: e for e in entries}


def county_figures(district: District, year: int) -> dict[str, Decimal]:
    from plans.models import CountyFigure

    return dict(CountyFigure.objects.filter(district=district, year=year).values_list("kind", "value"))


def parse_stored(spec: formulas.InputSpec, raw: Any) -> Decimal | bool | None:
    """A stored entry value (text) as the formulas take it."""
    if raw is None or raw == "":
        return None
    if spec.type == "bool":
        return raw in (True, "true")
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def entry_values(
    item: formulas.ItemSpec, entry: ItemEntry | None, figures: Mapping[str, Decimal]
) -> dict[str, Decimal | bool | None]:
    """An item's current values: its entry's, with linked inputs read from the county figures."""
    stored = entry.values if entry is not None else {}
    out: dict[str, Decimal | bool | None] = {}
    for spec in item.inputs:
        if spec.source and spec.source.startswith("county_figure:"):
            out[spec.key] = figures.get(spec.source.split(":", 1)[1])
        else:
            out[spec.key] = parse_stored(spec, stored.get(spec.key))
    return out


# --- the county assessment ------------------------------------------------------------------


@dataclass
class ItemView:
    """An item's judgement with what the pages show beside it."""

    judgement: formulas.ItemJudgement
    entry: ItemEntry | None
    values: dict[str, Decimal | bool | None]

    @property
    def item(self) -> formulas.ItemSpec:
        return self.judgement.item

    @property
    def evidence(self) -> list[Any]:
        return list(self.entry.evidence.all()) if self.entry is not None else []


@dataclass
class CountyChecklist:
    """Every checklist item of a district-year judged, grouped by area."""

    district: District
    year: int
    profile: RuleProfile
    version: ChecklistVersion
    checklist: formulas.Checklist
    areas: dict[str, formulas.AreaJudgement]
    items: dict[str, ItemView]
    schools: list[formulas.SchoolFacts] = field(default_factory=list)

    def area_items(self, area: str) -> list[ItemView]:
        return [self.items[j.item.key] for j in self.areas[area].judgements]


def county_checklist(district: District, year: int, profile: RuleProfile) -> CountyChecklist | None:
    """Judge every enabled item of the profile's checklist; None when the profile has none."""
    version = checklist_version_for(profile)
    if version is None:
        return None
    checklist = checklist_of(version)
    schools = school_facts(district, year)
    entries = entries_for(district, year)
    figures = county_figures(district, year)
    items: dict[str, ItemView] = {}
    for item in checklist.items:
        if not item.enabled:
            continue
        if item.judge == "auto":
            items[item.key] = ItemView(formulas.judge_auto(item, schools), None, {})
        else:
            values = entry_values(item, entries.get(item.key), figures)
            items[item.key] = ItemView(formulas.judge_entered(item, values), entries.get(item.key), values)
    areas = {
        area: formulas.judge_area(
            area, checklist.areas[area], [items[i.key].judgement for i in checklist.area_items(area)]
        )
        for area in formulas.AREA_KEYS
    }
    return CountyChecklist(district, year, profile, version, checklist, areas, items, schools)


# --- overview and the report's sections -----------------------------------------------------


def resources_part(district: District, year: int, profile_name: str) -> dict[str, Any]:
    """资源配置 from the stored balance result: verdict and what is missing."""
    result = (
        BalanceResult.objects.filter(district=district, year=year, profile_name=profile_name, is_current=True)
        .only("units_total", "units_approved", "computed_at", "payload")
        .first()
    )
    missing: list[str] = []
    if result is None:
        return {"has_data": False, "verdict": None, "missing": [_("本学年尚无资源配置计算结果")], "result": None}
    outcome = result.outcome
    verdict = outcome.passes
    if result.units_approved < result.units_total:
        missing.append(
            _("%(n)s 所学校的统计数据尚未审核,结果为预览") % {"n": result.units_total - result.units_approved}
        )
    state = balance_state_get(district, year)
    if state is not None and state.stale:
        missing.append(_("数据已变更,正在重新计算"))
    levels = {name: {"passes": level.passes, "units": level.units} for name, level in outcome.levels.items()}
    return {"has_data": True, "verdict": verdict, "missing": missing, "result": result, "levels": levels}


def _area_missing(area: formulas.AreaJudgement) -> list[str]:
    out: list[str] = []
    for judgement in area.judgements:
        if judgement.verdict is None:
            what = joined("、", judgement.missing[:3]) if judgement.missing else Text("未填报")
            out.append(Text("%(key)s %(what)s", key=judgement.item.key, what=what))
    return out


def overview(district: District, year: int, profile: RuleProfile) -> dict[str, Any]:
    """The four parts side by side with verdicts, what is missing, and the open problems."""
    resources = resources_part(district, year, profile.name)
    checklist = county_checklist(district, year, profile)
    survey = survey_get(district, year)
    summary = survey_summary(survey) if survey else None
    parts: dict[str, dict[str, Any]] = {"resources": {"label": _("资源配置"), **resources}}
    vetoed: list[str] = []
    for area in ("guarantee", "quality", "veto"):
        judged = checklist.areas[area] if checklist else None
        parts[area] = {
            "label": _(judged.label) if judged else area,
            "has_data": judged is not None,
            "verdict": judged.verdict if judged else None,
            "area": judged,
            "missing": _area_missing(judged) if judged else [_("该评估规则未配置检查项")],
        }
        if judged is not None:
            vetoed += [
                Text("%(key)s %(text)s", key=j.item.key, text=j.item.text)
                for j in judged.judgements
                if j.item.veto and j.verdict is False
            ]
    recognition_veto = summary is not None and summary.survey.veto and summary.verdict is False
    if recognition_veto:
        vetoed.append(_("社会认可度低于标准"))
    parts["recognition"] = {
        "label": _("社会认可度"),
        "has_data": summary is not None and summary.responses > 0,
        "verdict": summary.verdict if summary else None,
        "summary": summary,
        "missing": summary.missing if summary else [_("尚未开展社会认可度调查")],
    }
    verdicts = [parts[p]["verdict"] for p in ("resources", "guarantee", "quality", "veto", "recognition")]
    open_problems = list(problem_list(district, state="open")[:50])
    return {
        "parts": parts,
        "checklist": checklist,
        "vetoed": vetoed,
        "verdict": formulas.county_verdict(verdicts, vetoed=bool(vetoed)),
        "open_problems": open_problems,
        "open_count": Problem.objects.filter(district=district).exclude(state=Problem.State.CLOSED).count(),
    }


def _item_row(view: ItemView) -> dict[str, Any]:
    judgement = view.judgement
    item = judgement.item
    return {
        "key": item.key,
        "number": item.number,
        "area": item.area,
        "text": item.text,
        "standard": item.standard_text,
        "judge": item.judge,
        "veto": item.veto,
        "verdict": judgement.verdict,
        "value": _value_text(judgement),
        "failing_schools": [
            {"code": f.school_code, "name": f.school_name, "detail": f.detail} for f in judgement.failing
        ],
        "missing": list(judgement.missing),
        "evidence": [e.original_name for e in view.evidence],
        "note": view.entry.note if view.entry is not None else "",
    }


def _value_text(judgement: formulas.ItemJudgement) -> str:
    if judgement.item.judge == "auto":
        return judgement.summary
    parts = []
    for check in judgement.checks:
        if check.passes is None:
            parts.append(f"{check.label}:{check.note or '未填报'}")
        elif check.value is None:
            parts.append(f"{check.label}:{'是' if check.passes else '否'}")
        else:
            number = f"{check.value:,.2f}".rstrip("0").rstrip(".")
            parts.append(f"{check.label} {number}{_unit(judgement.item, check.label)}")
    return ";".join(parts)


def _unit(item: formulas.ItemSpec, label: str) -> str:
    check = next((c for c in item.checks if c.label == label), None)
    return check.unit if check is not None else ""


def _area_section(checklist: CountyChecklist | None, areas: tuple[str, ...]) -> dict[str, Any]:
    if checklist is None:
        return {"has_data": False, "verdict": None, "rows": [], "summary": _("该评估规则未配置检查项")}
    rows = [_item_row(view) for area in areas for view in checklist.area_items(area)]
    judged = [checklist.areas[a] for a in areas]
    verdict = formulas.county_verdict([a.verdict for a in judged], vetoed=any(a.vetoed for a in judged))
    met = sum(a.met for a in judged)
    total = sum(a.total for a in judged)
    failed = sum(a.failed for a in judged)
    unknown = sum(a.unknown for a in judged)
    summary = _("共 %(t)s 项:达标 %(m)s 项,未达标 %(f)s 项,待填报或无法判定 %(u)s 项") % {
        "t": total,
        "m": met,
        "f": failed,
        "u": unknown,
    }
    vetoed = [k for a in judged for k in a.vetoed]
    if vetoed:
        summary += _(";一票否决项未达标:%(k)s") % {"k": "、".join(vetoed)}
    has_data = any(j.verdict is not None for a in judged for j in a.judgements)
    return {"has_data": has_data, "verdict": verdict, "rows": rows, "summary": summary}


def report_sections(district: District, year: int, profile_name: str) -> dict[str, dict[str, Any]]:
    """The county assessment for the report (issue 5): four sections, each
    ``{"has_data": bool, "verdict": bool | None, "rows": list[dict], "summary": str}``.

    Row keys:

    * ``"guarantee"`` (政府保障程度, 15 items) and ``"quality"`` (教育质量, 9 items, followed by
      the 一票否决 items, ``area == "veto"``): one row per enabled item —
      ``key`` ("G05"), ``number`` (its number in the area), ``area`` ("guarantee" | "quality" |
      "veto"), ``text`` (the item's wording), ``standard`` (the standard in a few words),
      ``judge`` ("auto" | "entered"), ``veto`` (bool, 一票否决), ``verdict`` (True met, False not
      met, None cannot be judged), ``value`` (what was found, as text), ``failing_schools``
      (list of {``code``, ``name``, ``detail``}; automatic items only), ``missing`` (list of str:
      what is missing before it can be judged), ``evidence`` (evidence file names), ``note``
      (the bureau's note).
    * ``"recognition"`` (社会认可度): one row per respondent group —
      ``group`` ("parent", "npc", "cppcc", "resident", "principal", "teacher", "student"),
      ``label`` (家长 …), ``responses`` (valid questionnaires), ``positive`` and ``counted``
      (answers counted for the rate and how many were positive), ``rate`` (float 0–1 or None),
      ``weight`` (the group's weight or None when pooled), ``answers`` ({question: {option: n}},
      the raw counts). The summary gives the rate, threshold, sample size and plan fulfilment.
    * ``"problems"`` (问题清单 / 整改): the problems open now or found or closed in `year` —
      ``id``, ``year`` (found in), ``source`` and ``source_label``, ``title``, ``detail``,
      ``school_code`` ("" for county problems), ``owner``, ``deadline`` (date or None),
      ``state`` ("open" | "in_progress" | "closed") and ``state_label``, ``closed_auto`` (bool),
      ``closed_at`` (datetime or None), ``close_note``. ``verdict`` is True when none is open,
      False otherwise (None without any problem).

    A profile the district is not evaluated under, or one without a checklist, gives sections
    with ``has_data`` False.
    """
    profile = RuleProfile.objects.filter(name=profile_name).first()
    checklist = county_checklist(district, year, profile) if profile is not None else None
    return {
        "guarantee": _area_section(checklist, ("guarantee",)),
        "quality": _area_section(checklist, ("quality", "veto")),
        "recognition": _recognition_section(district, year),
        "problems": _problems_section(district, year),
    }


def _recognition_section(district: District, year: int) -> dict[str, Any]:
    survey = survey_get(district, year)
    if survey is None:
        return {"has_data": False, "verdict": None, "rows": [], "summary": _("尚未开展社会认可度调查")}
    summary = survey_summary(survey)
    answers: dict[str, dict[str, dict[str, int]]] = {}
    for group, question, option, n in summary.counts:
        answers.setdefault(group, {}).setdefault(question, {})[option] = n
    weights = survey.group_weights or {}
    rows = []
    for group, label in GROUPS.items():
        responses = summary.by_group.get(group, 0)
        positive, counted = summary.tallies.get(group, (0, 0))
        if not responses and not counted:
            continue
        rows.append(
            {
                "group": group,
                "label": _(label),
                "responses": responses,
                "positive": positive,
                "counted": counted,
                "rate": positive / counted if counted else None,
                "weight": weights.get(group) if weights else None,
                "answers": answers.get(group, {}),
            }
        )
    rate = "—" if summary.rate is None else f"{summary.rate * 100:.1f}%"
    text = _("有效问卷 %(n)s 份,认可度 %(r)s(标准 ≥ %(t)s%%)") % {
        "n": summary.responses,
        "r": rate,
        "t": f"{float(survey.threshold) * 100:g}",
    }
    if summary.plan is not None:
        text += _(";样本量要求 %(t)s 份(常住人口 %(p)s 的 %(m)s‰),家长不少于 %(pm)s 份") % {
            "t": summary.plan.total,
            "p": f"{survey.population:,}" if survey.population is not None else "—",  # as 基本情况 prints it
            "m": f"{float(survey.sample_permille):g}",
            "pm": summary.plan.parents_min,
        }
    if summary.missing:
        text += ";" + ";".join(summary.missing)
    return {"has_data": summary.responses > 0, "verdict": summary.verdict, "rows": rows, "summary": text}


def _problems_section(district: District, year: int) -> dict[str, Any]:
    from django.db.models import Q

    problems = (
        Problem.objects.filter(district=district)
        .filter(~Q(state=Problem.State.CLOSED) | Q(year=year) | Q(closed_at__year__in=[year, year + 1]))
        .select_related("school")
        .order_by("state", "deadline", "id")
    )
    rows = problem_rows(list(problems))
    open_count = sum(1 for r in rows if r["state"] != Problem.State.CLOSED)
    closed = len(rows) - open_count
    summary = _("问题 %(n)s 个:待整改或整改中 %(o)s 个,已整改 %(c)s 个") % {
        "n": len(rows),
        "o": open_count,
        "c": closed,
    }
    return {"has_data": bool(rows), "verdict": (open_count == 0) if rows else None, "rows": rows, "summary": summary}


def report_identity(district: District, year: int, profile_name: str) -> str:
    """A cheap identity of everything `report_sections` reads from this app, for report reuse.

    It changes whenever an entered figure, an evidence file, the survey (its settings, state or
    responses), the checklist version or a problem changes: one statement (core.identity) after
    the profile and checklist lookups. The statistics the automatic items judge and the county
    figures are part of the report's own fingerprint (reports.identity).
    """
    import hashlib

    from core.identity import Part, digest_rows

    profile = district_profile(district, profile_name)
    checklist = checklist_version_for(profile) if profile is not None else None
    this_year = "district_id = %s AND year = %s"
    params = [district.pk, year]
    parts = {
        "entry": Part("assessment_itementry", ["COUNT(*)", "MAX(updated_at)"], this_year, params),
        "evidence": Part(
            "assessment_itemevidence",
            ["COUNT(*)", "MAX(id)"],
            f"entry_id IN (SELECT id FROM assessment_itementry WHERE {this_year})",  # noqa: S608 - constants
            params,
        ),
        "problem": Part("assessment_problem", ["COUNT(*)", "MAX(updated_at)"], this_year, params),
        "survey": Part("assessment_survey", SURVEY_IDENTITY, this_year, params),
        "response": Part(
            "assessment_surveyresponse",
            ["COUNT(*)", "MAX(id)"],
            f"survey_id IN (SELECT id FROM assessment_survey WHERE {this_year})",  # noqa: S608 - constants
            params,
        ),
    }
    head = repr((profile_name, checklist.pk if checklist else None))
    return hashlib.sha256(f"{head}|{digest_rows(parts)}".encode()).hexdigest()


# The survey settings a report's 社会认可度 section depends on.
SURVEY_IDENTITY = [
    "id",
    "state",
    "closed_at",
    "population",
    "sample_permille",
    "parent_share",
    "area_shares",
    "positive_options",
    "group_weights",
    "rate_basis",
    "threshold",
    "veto",
]
