"""Judgements of the county checklist (no Django, no database): the automatic items per school,
the entered items, each area and the county verdict.

The rules and units are those of the package docstring (assessment/formulas/__init__.py); the
checklist they judge against is parsed in assessment/formulas/checklist.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from assessment.formulas.checklist import (
    SECTION_NAMES,
    THROUGH_TYPES_DEFAULT,
    AreaSpec,
    CheckSpec,
    ItemSpec,
    Number,
    Outcome,
    exact,
    plain,
)
from assessment.formulas.text import Text, joined

NO_STATISTICS = "未填报统计数据"
NO_COMPULSORY_STUDENTS = "无小学、初中在校生"
NOT_REPORTED = "未填报"


def _section(section: str) -> Text:
    return Text(SECTION_NAMES[section], context="学段")


# --------------------------------------------------------------------------------------------
# Automatic judgements, per school
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchoolFacts:
    """One school in one year: what the automatic items read from its annual statistics.

    ``stats`` is None when the school has not reported that year; values inside are None when a
    field was left empty. ``approved`` says whether the statistics are approved (a problem closes
    itself only on approved data).
    """

    school_code: str
    school_name: str
    school_type: str
    stats: Mapping[str, float | None] | None
    approved: bool = False

    def get(self, key: str) -> float | None:
        return None if self.stats is None else self.stats.get(key)


@dataclass(frozen=True, slots=True)
class SchoolFinding:
    """One school's result on an automatic item: pass, fail, missing (can't tell) or n/a."""

    school_code: str
    school_name: str
    outcome: Outcome
    detail: str
    approved: bool = False


def _finding(school: SchoolFacts, outcome: Outcome, detail: str) -> SchoolFinding:
    return SchoolFinding(school.school_code, school.school_name, outcome, detail, school.approved)


def _worst(outcomes: Iterable[Outcome]) -> Outcome:
    seen = set(outcomes)
    order: tuple[Outcome, ...] = ("fail", "missing", "pass")
    return next((outcome for outcome in order if outcome in seen), "n/a")


def judge_class_size(school: SchoolFacts, limits: Mapping[str, float]) -> SchoolFinding:
    """Largest class of each section with students ≤ its limit (小学 45, 初中 50; §3.3 #5).

    A section without students is not judged; one with students but no reported largest class
    is "missing". The limit itself passes (45 ≤ 45); one more fails.
    """
    if school.stats is None:
        return _finding(school, "missing", Text(NO_STATISTICS))
    outcomes: list[Outcome] = []
    details: list[str] = []
    for section in ("primary", "junior"):
        students = school.get(f"students_{section}")
        if not students:
            continue
        name = _section(section)
        size = school.get(f"max_class_size_{section}")
        limit = limits[section]
        if size is None:
            outcomes.append("missing")
            details.append(Text("%(section)s最大班额未填报", section=name))
        elif exact(size) > exact(limit):
            outcomes.append("fail")
            details.append(
                Text(
                    "%(section)s最大班额 %(size)s 人,超过 %(limit)s 人",
                    section=name,
                    size=plain(size),
                    limit=plain(limit),
                )
            )
        else:
            outcomes.append("pass")
            details.append(Text("%(section)s最大班额 %(size)s 人", section=name, size=plain(size)))
    if not outcomes:
        return _finding(school, "n/a", Text(NO_COMPULSORY_STUDENTS))
    return _finding(school, _worst(outcomes), joined(";", details))


def compulsory_students(school: SchoolFacts) -> float | None:
    """小学 + 初中 students (the compulsory stage); None when neither is reported."""
    primary, junior = school.get("students_primary"), school.get("students_junior")
    if primary is None and junior is None:
        return None
    return (primary or 0) + (junior or 0)


def judge_school_size(
    school: SchoolFacts, limit: float, through_limit: float, through_types: Sequence[str] = THROUGH_TYPES_DEFAULT
) -> SchoolFinding:
    """Compulsory-stage students ≤ 2000, or ≤ 2500 for 九年/十二年一贯制 schools (§3.3 #4 [U]).

    Senior students of a 十二年一贯制 school or 完全中学 do not count (义务教育阶段规模).
    """
    if school.stats is None:
        return _finding(school, "missing", Text(NO_STATISTICS))
    students = compulsory_students(school)
    if students is None:
        return _finding(school, "missing", Text("在校生数未填报"))
    if students == 0:
        return _finding(school, "n/a", Text(NO_COMPULSORY_STUDENTS))
    cap = through_limit if school.school_type in through_types else limit
    figures = {"students": plain(students), "cap": plain(cap)}
    if exact(students) > exact(cap):
        return _finding(school, "fail", Text("义务教育阶段在校生 %(students)s 人,超过 %(cap)s 人", **figures))
    return _finding(school, "pass", Text("义务教育阶段在校生 %(students)s 人(上限 %(cap)s 人)", **figures))


def required_rooms(classes: float, per_classes: float = 12, reading: str = "ceil") -> int | None:
    """Music (or art) rooms a school needs: ceil(classes ÷ 12); None when not required.

    ``reading`` (§6 [U]): "ceil" — every school with classes needs ceil(classes/12), so 1–12
    classes need 1, 13–24 need 2; "from_12_classes" — a school with fewer than 12 classes is not
    assessed, from 12 classes on the same ceil applies.
    """
    if classes <= 0:
        return None
    if reading == "from_12_classes" and classes < per_classes:
        return None
    return math.ceil(exact(classes) / exact(per_classes))


def judge_rooms(
    school: SchoolFacts,
    *,
    per_classes: float = 12,
    music_min_area: float = 96,
    art_min_area: float = 90,
    reading: str = "ceil",
) -> SchoolFinding:
    """Music and art rooms: each ≥ required_rooms(classes), smallest room ≥ 96 / 90 m² (§3.3 #3).

    Classes are the school's 小学 + 初中 classes. A reported smallest area below the minimum
    fails; rooms reported without an area are "missing" (the area can't be confirmed).
    """
    if school.stats is None:
        return _finding(school, "missing", Text(NO_STATISTICS))
    primary, junior = school.get("classes_primary"), school.get("classes_junior")
    if primary is None and junior is None:
        return _finding(school, "missing", Text("班级数未填报"))
    classes = (primary or 0) + (junior or 0)
    required = required_rooms(classes, per_classes, reading)
    if required is None:
        return _finding(school, "n/a", Text("%(classes)s 个班,不作要求", classes=plain(classes)))
    outcomes: list[Outcome] = []
    details: list[str] = [
        Text("%(classes)s 个班,应配音乐、美术专用教室各 %(required)s 间", classes=plain(classes), required=required)
    ]
    for kind, name, minimum in (("music", "音乐", music_min_area), ("art", "美术", art_min_area)):
        rooms = school.get(f"{kind}_rooms")
        area = school.get(f"{kind}_room_min_area")
        room = Text(name, context="专用教室")
        if rooms is None:
            outcomes.append("missing")
            details.append(Text("%(room)s专用教室数未填报", room=room))
            continue
        if rooms < required:
            outcomes.append("fail")
            details.append(
                Text(
                    "%(room)s专用教室 %(rooms)s 间,少 %(short)s 间",
                    room=room,
                    rooms=plain(rooms),
                    short=plain(required - rooms),
                )
            )
        else:
            outcomes.append("pass")
        if rooms > 0:
            if area is None:
                outcomes.append("missing")
                details.append(Text("%(room)s专用教室面积未填报", room=room))
            elif exact(area) < exact(minimum):
                outcomes.append("fail")
                details.append(
                    Text(
                        "最小%(room)s专用教室 %(area)s㎡,小于 %(minimum)s㎡",
                        room=room,
                        area=plain(area),
                        minimum=plain(minimum),
                    )
                )
    return _finding(school, _worst(outcomes), joined(";", details))


# --------------------------------------------------------------------------------------------
# Item judgements
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckResult:
    label: str
    standard: str
    value: float | None  # for display; None when it cannot be computed
    passes: bool | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ItemJudgement:
    """An item's verdict (True met, False not met, None cannot be judged) and why."""

    item: ItemSpec
    verdict: bool | None
    checks: tuple[CheckResult, ...] = ()
    findings: tuple[SchoolFinding, ...] = ()
    missing: tuple[str, ...] = ()  # what is missing before it can be judged
    summary: str = ""

    @property
    def failing(self) -> list[SchoolFinding]:
        return [f for f in self.findings if f.outcome == "fail"]


def judge_auto(item: ItemSpec, schools: Sequence[SchoolFacts]) -> ItemJudgement:
    """Judge an automatic item over the district's schools (excluded types are left out)."""
    params = item.params
    excluded = set(params.get("exclude_types") or [])
    findings: list[SchoolFinding] = []
    for school in schools:
        if school.school_type in excluded:
            continue
        if item.auto == "class_size":
            findings.append(judge_class_size(school, params["limits"]))
        elif item.auto == "school_size":
            findings.append(
                judge_school_size(
                    school,
                    params["limit"],
                    params["through_limit"],
                    params.get("through_types") or THROUGH_TYPES_DEFAULT,
                )
            )
        elif item.auto == "music_art_rooms":
            findings.append(
                judge_rooms(
                    school,
                    per_classes=params["per_classes"],
                    music_min_area=params["music_min_area"],
                    art_min_area=params["art_min_area"],
                    reading=params["reading"],
                )
            )
    failing = [f for f in findings if f.outcome == "fail"]
    unknown = [f for f in findings if f.outcome == "missing"]
    judged = [f for f in findings if f.outcome in ("pass", "fail")]
    verdict: bool | None
    if failing:
        verdict = False
    elif unknown or not judged:
        verdict = None
    else:
        verdict = True
    missing: tuple[str, ...] = tuple(
        Text("%(school)s:%(detail)s", school=f.school_name, detail=f.detail) for f in unknown
    )
    if not judged and not unknown:
        missing = (Text("没有可判定的学校"),)
    summary = (
        Text(
            "%(judged)s 所学校参与判定,%(failing)s 所未达标,%(unknown)s 所数据不全",
            judged=len(judged),
            failing=len(failing),
            unknown=len(unknown),
        )
        if unknown
        else Text("%(judged)s 所学校参与判定,%(failing)s 所未达标", judged=len(judged), failing=len(failing))
    )
    return ItemJudgement(item, verdict, (), tuple(findings), missing, summary)


def compare(value: Fraction, op: str, threshold: Number) -> bool:
    """Exact comparison of a value with a threshold (≥ 85 passes at exactly 85)."""
    limit = exact(threshold)
    if op == ">=":
        return value >= limit
    if op == ">":
        return value > limit
    if op == "<=":
        return value <= limit
    if op == "<":
        return value < limit
    raise ValueError(op)


def check_value(check: CheckSpec, values: Mapping[str, Any]) -> tuple[Fraction | None, str]:
    """num (÷ den × scale) as an exact fraction, or None with the reason."""
    num = values.get(check.num)
    if num is None:
        return None, Text(NOT_REPORTED)
    if check.den is None:
        return exact(num) * exact(check.scale), ""
    den = values.get(check.den)
    if den is None:
        return None, Text(NOT_REPORTED)
    if exact(den) == 0:
        return None, Text("分母为 0,无法计算")
    return exact(num) / exact(den) * exact(check.scale), ""


def judge_entered(item: ItemSpec, values: Mapping[str, Any]) -> ItemJudgement:
    """Judge an entered item from the bureau's figures.

    ``values`` maps input keys to numbers (int, Decimal, str, Fraction) or booleans; a missing or
    None value leaves its checks undecided. The item is met when every check passes, not met when
    any fails, and cannot be judged otherwise.
    """
    results: list[CheckResult] = []
    for check in item.checks:
        if check.op == "true":
            raw = values.get(check.num)
            passes = None if raw is None else raw is True
            results.append(
                CheckResult(
                    check.label, check.standard_text, None, passes, "" if raw is not None else Text(NOT_REPORTED)
                )
            )
            continue
        value, note = check_value(check, values)
        if value is None:
            results.append(CheckResult(check.label, check.standard_text, None, None, note))
            continue
        assert check.threshold is not None
        results.append(
            CheckResult(check.label, check.standard_text, float(value), compare(value, check.op, check.threshold))
        )
    verdicts = [r.passes for r in results]
    verdict: bool | None = False if False in verdicts else (None if None in verdicts else True)
    missing = tuple(i.label for i in item.inputs if values.get(i.key) is None)
    met = sum(1 for v in verdicts if v is True)
    summary = Text("%(met)s/%(total)s 项判定达标", met=met, total=len(results)) if results else ""
    return ItemJudgement(item, verdict, tuple(results), (), missing, summary)


# --------------------------------------------------------------------------------------------
# Areas and the county verdict
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AreaJudgement:
    area: str
    label: str
    judgements: tuple[ItemJudgement, ...]
    verdict: bool | None
    met: int
    failed: int
    unknown: int
    required: int
    vetoed: tuple[str, ...]  # keys of failing veto items

    @property
    def total(self) -> int:
        return len(self.judgements)


def judge_area(area: str, spec: AreaSpec, judgements: Sequence[ItemJudgement]) -> AreaJudgement:
    """An area passes when at least `min_met` items (all, by default) are met and no veto item fails.

    A failing veto item (一票否决) fails the area whatever the count. With unjudged items the
    verdict is None unless the count is already out of reach (→ False) or met (→ True, provided
    no veto item is undecided).
    """
    total = len(judgements)
    met = sum(1 for j in judgements if j.verdict is True)
    failed = sum(1 for j in judgements if j.verdict is False)
    unknown = total - met - failed
    required = total if spec.min_met is None else min(spec.min_met, total)
    vetoed = tuple(j.item.key for j in judgements if j.item.veto and j.verdict is False)
    veto_unknown = any(j.item.veto and j.verdict is None for j in judgements)
    verdict: bool | None
    if vetoed or met + unknown < required:
        verdict = False
    elif met >= required and not veto_unknown:
        verdict = True
    else:
        verdict = None
    if total == 0:
        verdict = None
    return AreaJudgement(area, spec.label, tuple(judgements), verdict, met, failed, unknown, required, vetoed)


def county_verdict(parts: Sequence[bool | None], vetoed: bool = False) -> bool | None:
    """The county passes when every part passes; a veto or any failing part fails it."""
    if vetoed or any(p is False for p in parts):
        return False
    if any(p is None for p in parts):
        return None
    return True
