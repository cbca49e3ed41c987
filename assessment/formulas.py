"""Pure judgements of the county assessment (no Django, no database).

Sources (``/work/shared/reference/standards.md``):

* §3.3 政府保障程度 and §3.4 教育质量 — the checklist items; §1 and §6 — their numbers: class size
  ≤ 45 (小学) / ≤ 50 (初中) [S]; school size ≤ 2000, ≤ 2500 for the compulsory stage of 一贯制
  schools [U]; music and art rooms 1 each per 12 classes, ≥ 96 / ≥ 90 m² [rule S, numbers U],
  with the reading below 12 classes configurable (§6).
* §3.5 社会认可度 — sample 1.5‰ of 常住人口, parents ≥ 50 %, area shares; rate ≥ 85 % with a
  configurable set of positive answers and group weights (no official formula found [U]).
* §3.6 一票否决 — a failing veto item fails the county whatever the rest.

Units: class and school sizes in 人 (students), room areas in m², percentages in % (0–100),
money in 元, rates as fractions (0–1). Comparisons are exact: inputs are converted to
``fractions.Fraction`` (from their decimal text), so 85/100 against 0.85 or 95.00 % against 95 %
is decided without binary rounding. Floats are returned for display only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, Literal

Outcome = Literal["pass", "fail", "missing", "n/a"]
Number = int | float | Decimal | Fraction | str

AREA_KEYS: Final[tuple[str, ...]] = ("guarantee", "quality", "veto")
AUTO_KINDS: Final[tuple[str, ...]] = ("class_size", "school_size", "music_art_rooms")
INPUT_TYPES: Final[tuple[str, ...]] = ("number", "integer", "bool")
OPS: Final[tuple[str, ...]] = (">=", ">", "<=", "<", "true")
ROOM_READINGS: Final[tuple[str, ...]] = ("ceil", "from_12_classes")
RATE_BASES: Final[tuple[str, ...]] = ("overall", "all")
SECTION_NAMES: Final[dict[str, str]] = {"primary": "小学", "junior": "初中"}
THROUGH_TYPES_DEFAULT: Final[tuple[str, ...]] = ("nine_year", "twelve_year")


def exact(value: Number) -> Fraction:
    """A number as an exact fraction; floats go through their shortest decimal text (0.85 → 85/100)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, Decimal):
        return Fraction(value)
    return Fraction(value)


class ChecklistError(ValueError):
    """A checklist definition that cannot be used; the message says where (Chinese, for the editor)."""


# --------------------------------------------------------------------------------------------
# Checklist definition
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One figure the bureau enters for an item: a number (with range) or a yes/no declaration."""

    key: str
    label: str
    type: str = "number"
    unit: str = ""
    min: float | None = None
    max: float | None = None
    max_of: str | None = None  # may not exceed this other input (rotated ≤ eligible)
    source: str | None = None  # "county_figure:<kind>": stored as the plans app's CountyFigure

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "label": self.label, "type": self.type}
        if self.type != "bool":
            out["unit"] = self.unit
            out["min"] = self.min
            out["max"] = self.max
        if self.max_of:
            out["max_of"] = self.max_of
        if self.source:
            out["source"] = self.source
        return out


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """value = num ÷ den × scale (or num alone), compared with the threshold by `op`."""

    label: str
    num: str
    op: str
    threshold: float | None = None
    den: str | None = None
    scale: float = 1
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "num": self.num,
            "den": self.den,
            "scale": self.scale,
            "op": self.op,
            "threshold": self.threshold,
            "unit": self.unit,
        }

    @property
    def standard_text(self) -> str:
        if self.op == "true":
            return "是"
        symbol = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}[self.op]
        return f"{symbol} {_plain(self.threshold)}{self.unit}"


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One checklist item (wording, how it is judged, its numbers, veto flag)."""

    key: str
    area: str
    number: int
    text: str
    tag: str
    judge: str  # auto | entered
    auto: str | None
    params: Mapping[str, Any]
    inputs: tuple[InputSpec, ...]
    checks: tuple[CheckSpec, ...]
    veto: bool = False
    enabled: bool = True
    owner: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "area": self.area,
            "number": self.number,
            "text": self.text,
            "tag": self.tag,
            "judge": self.judge,
            "auto": self.auto,
            "params": dict(self.params),
            "inputs": [i.to_dict() for i in self.inputs],
            "checks": [c.to_dict() for c in self.checks],
            "veto": self.veto,
            "enabled": self.enabled,
            "owner": self.owner,
        }

    def input(self, key: str) -> InputSpec | None:
        return next((i for i in self.inputs if i.key == key), None)

    @property
    def standard_text(self) -> str:
        """The standard in a few words, for tables (每项检查的标准)."""
        if self.judge == "auto":
            return auto_standard_text(self.auto or "", self.params)
        return ";".join(c.label if c.op == "true" else f"{c.label} {c.standard_text}" for c in self.checks)


@dataclass(frozen=True, slots=True)
class AreaSpec:
    label: str
    min_met: int | None = None  # None: every enabled item must be met

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "min_met": self.min_met}


@dataclass(frozen=True, slots=True)
class RecognitionSpec:
    """Survey scoring and sample defaults, copied into each survey when it is opened."""

    threshold: float = 0.85
    veto: bool = True
    sample_permille: float = 1.5
    parent_share: float = 0.5
    positive_options: tuple[str, ...] = ("5", "4")
    rate_basis: str = "overall"
    group_weights: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "veto": self.veto,
            "sample_permille": self.sample_permille,
            "parent_share": self.parent_share,
            "positive_options": list(self.positive_options),
            "rate_basis": self.rate_basis,
            "group_weights": dict(self.group_weights),
        }


@dataclass(frozen=True, slots=True)
class Checklist:
    label: str
    areas: Mapping[str, AreaSpec]
    items: tuple[ItemSpec, ...]
    recognition: RecognitionSpec

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "areas": {k: a.to_dict() for k, a in self.areas.items()},
            "items": [i.to_dict() for i in self.items],
            "recognition": self.recognition.to_dict(),
        }

    def item(self, key: str) -> ItemSpec | None:
        return next((i for i in self.items if i.key == key), None)

    def area_items(self, area: str) -> list[ItemSpec]:
        return [i for i in self.items if i.area == area and i.enabled]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checklist:
        """Parse and check a definition; raise ChecklistError naming the first problem found."""
        if not isinstance(data, Mapping):
            raise ChecklistError("检查项定义应为 JSON 对象")
        areas_raw = data.get("areas") or {}
        if not isinstance(areas_raw, Mapping):
            raise ChecklistError("areas 应为对象")
        areas: dict[str, AreaSpec] = {}
        for key in AREA_KEYS:
            raw = areas_raw.get(key) or {}
            min_met = raw.get("min_met")
            if min_met is not None and (not isinstance(min_met, int) or isinstance(min_met, bool) or min_met < 0):
                raise ChecklistError(f"{key}.min_met 应为非负整数或 null")
            areas[key] = AreaSpec(str(raw.get("label") or key), min_met)
        unknown_areas = set(areas_raw) - set(AREA_KEYS)
        if unknown_areas:
            raise ChecklistError(f"未知的评估部分:{', '.join(sorted(unknown_areas))}")
        items_raw = data.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            raise ChecklistError("items 应为非空列表")
        items = tuple(_parse_item(raw, n) for n, raw in enumerate(items_raw, start=1))
        keys = [i.key for i in items]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ChecklistError(f"检查项编号重复:{', '.join(duplicates)}")
        return cls(str(data.get("label") or ""), areas, items, _parse_recognition(data.get("recognition") or {}))


def _number(raw: Any, where: str, *, allow_none: bool = True) -> float | None:
    if raw is None and allow_none:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ChecklistError(f"{where} 应为数字")
    if not math.isfinite(raw):
        raise ChecklistError(f"{where} 应为有限的数字")
    return float(raw)


def _parse_item(raw: Any, n: int) -> ItemSpec:
    if not isinstance(raw, Mapping):
        raise ChecklistError(f"第 {n} 个检查项应为对象")
    key = str(raw.get("key") or "").strip()
    if not key or len(key) > 16:
        raise ChecklistError(f"第 {n} 个检查项缺少 key(不超过 16 个字符)")
    where = f"检查项 {key}"
    area = raw.get("area")
    if area not in AREA_KEYS:
        raise ChecklistError(f"{where}:area 应为 {', '.join(AREA_KEYS)} 之一")
    judge = raw.get("judge")
    auto = raw.get("auto")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise ChecklistError(f"{where}:params 应为对象")
    inputs: list[InputSpec] = []
    checks: list[CheckSpec] = []
    if judge == "auto":
        if auto not in AUTO_KINDS:
            raise ChecklistError(f"{where}:auto 应为 {', '.join(AUTO_KINDS)} 之一")
        _check_params(str(auto), params, where)
    elif judge == "entered":
        auto = None
        for m, spec in enumerate(raw.get("inputs") or [], start=1):
            inputs.append(_parse_input(spec, f"{where} 第 {m} 项填报内容"))
        input_keys = {i.key for i in inputs}
        if not inputs or len(input_keys) != len(inputs):
            raise ChecklistError(f"{where}:inputs 应为非空且 key 不重复")
        for spec in inputs:
            if spec.max_of is not None and spec.max_of not in input_keys:
                raise ChecklistError(f"{where}:{spec.key}.max_of 指向不存在的填报项 {spec.max_of}")
        for m, spec in enumerate(raw.get("checks") or [], start=1):
            checks.append(_parse_check(spec, f"{where} 第 {m} 项判定", {i.key: i for i in inputs}))
        if not checks:
            raise ChecklistError(f"{where}:checks 不能为空")
    else:
        raise ChecklistError(f"{where}:judge 应为 auto 或 entered")
    number = raw.get("number", n)
    if isinstance(number, bool) or not isinstance(number, int):
        raise ChecklistError(f"{where}:number 应为整数")
    return ItemSpec(
        key=key,
        area=str(area),
        number=number,
        text=str(raw.get("text") or ""),
        tag=str(raw.get("tag") or ""),
        judge=str(judge),
        auto=auto,
        params=dict(params),
        inputs=tuple(inputs),
        checks=tuple(checks),
        veto=bool(raw.get("veto", False)),
        enabled=bool(raw.get("enabled", True)),
        owner=str(raw.get("owner") or ""),
    )


def _parse_input(raw: Any, where: str) -> InputSpec:
    if not isinstance(raw, Mapping) or not raw.get("key"):
        raise ChecklistError(f"{where}:应为带 key 的对象")
    kind = raw.get("type", "number")
    if kind not in INPUT_TYPES:
        raise ChecklistError(f"{where}:type 应为 {', '.join(INPUT_TYPES)} 之一")
    low = _number(raw.get("min"), f"{where}.min")
    high = _number(raw.get("max"), f"{where}.max")
    if low is not None and high is not None and low > high:
        raise ChecklistError(f"{where}:min 不能大于 max")
    source = raw.get("source")
    if source is not None and not str(source).startswith("county_figure:"):
        raise ChecklistError(f"{where}:source 只支持 county_figure:<类型>")
    return InputSpec(
        key=str(raw["key"]),
        label=str(raw.get("label") or raw["key"]),
        type=str(kind),
        unit=str(raw.get("unit") or ""),
        min=low,
        max=high,
        max_of=raw.get("max_of"),
        source=source,
    )


def _parse_check(raw: Any, where: str, inputs: Mapping[str, InputSpec]) -> CheckSpec:
    if not isinstance(raw, Mapping):
        raise ChecklistError(f"{where}:应为对象")
    op = raw.get("op")
    if op not in OPS:
        raise ChecklistError(f"{where}:op 应为 {' '.join(OPS)} 之一")
    num, den = str(raw.get("num") or ""), raw.get("den")
    if den is not None:
        den = str(den)
    if num not in inputs:
        raise ChecklistError(f"{where}:num 指向不存在的填报项 {num}")
    if den is not None and den not in inputs:
        raise ChecklistError(f"{where}:den 指向不存在的填报项 {den}")
    if op == "true":
        if inputs[num].type != "bool" or den is not None:
            raise ChecklistError(f"{where}:op=true 只用于是/否填报项")
        threshold = None
    else:
        if inputs[num].type == "bool" or (den is not None and inputs[den].type == "bool"):
            raise ChecklistError(f"{where}:数值比较不能用于是/否填报项")
        threshold = _number(raw.get("threshold"), f"{where}.threshold", allow_none=False)
    scale = _number(raw.get("scale", 1), f"{where}.scale", allow_none=False)
    return CheckSpec(
        label=str(raw.get("label") or num),
        num=str(num),
        op=str(op),
        threshold=threshold,
        den=den,
        scale=scale if scale is not None else 1,
        unit=str(raw.get("unit") or ""),
    )


def _check_params(kind: str, params: Mapping[str, Any], where: str) -> None:
    def positive(name: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ChecklistError(f"{where}:params.{name} 应为正数")

    types = params.get("exclude_types", [])
    if not isinstance(types, list):
        raise ChecklistError(f"{where}:params.exclude_types 应为列表")
    if kind == "class_size":
        limits = params.get("limits")
        if not isinstance(limits, Mapping) or set(limits) != {"primary", "junior"}:
            raise ChecklistError(f"{where}:params.limits 应为 {{primary, junior}}")
        for level, value in limits.items():
            positive(f"limits.{level}", value)
    elif kind == "school_size":
        positive("limit", params.get("limit"))
        positive("through_limit", params.get("through_limit"))
    elif kind == "music_art_rooms":
        positive("per_classes", params.get("per_classes"))
        positive("music_min_area", params.get("music_min_area"))
        positive("art_min_area", params.get("art_min_area"))
        if params.get("reading") not in ROOM_READINGS:
            raise ChecklistError(f"{where}:params.reading 应为 {', '.join(ROOM_READINGS)} 之一")


def _parse_recognition(raw: Mapping[str, Any]) -> RecognitionSpec:
    if not isinstance(raw, Mapping):
        raise ChecklistError("recognition 应为对象")
    base = RecognitionSpec()
    threshold = _number(raw.get("threshold", base.threshold), "recognition.threshold", allow_none=False)
    permille = _number(
        raw.get("sample_permille", base.sample_permille), "recognition.sample_permille", allow_none=False
    )
    share = _number(raw.get("parent_share", base.parent_share), "recognition.parent_share", allow_none=False)
    assert threshold is not None and permille is not None and share is not None
    if not 0 < threshold <= 1 or not 0 <= share <= 1 or permille <= 0:
        raise ChecklistError("recognition:threshold 应在 (0, 1],parent_share 在 [0, 1],sample_permille 为正数")
    options = raw.get("positive_options", list(base.positive_options))
    if not isinstance(options, list) or not options:
        raise ChecklistError("recognition.positive_options 应为非空列表")
    basis = raw.get("rate_basis", base.rate_basis)
    if basis not in RATE_BASES:
        raise ChecklistError(f"recognition.rate_basis 应为 {', '.join(RATE_BASES)} 之一")
    weights = raw.get("group_weights", {}) or {}
    if not isinstance(weights, Mapping) or any(
        isinstance(w, bool) or not isinstance(w, int | float) or w < 0 for w in weights.values()
    ):
        raise ChecklistError("recognition.group_weights 应为 {群体: 非负权重}")
    return RecognitionSpec(
        threshold=threshold,
        veto=bool(raw.get("veto", base.veto)),
        sample_permille=permille,
        parent_share=share,
        positive_options=tuple(str(o) for o in options),
        rate_basis=str(basis),
        group_weights={str(k): v for k, v in weights.items()},
    )


def _plain(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def auto_standard_text(kind: str, params: Mapping[str, Any]) -> str:
    if kind == "class_size":
        limits = params.get("limits", {})
        return f"小学班额≤{_plain(limits.get('primary'))}人,初中班额≤{_plain(limits.get('junior'))}人"
    if kind == "school_size":
        return f"规模≤{_plain(params.get('limit'))}人,一贯制学校义务教育阶段≤{_plain(params.get('through_limit'))}人"
    if kind == "music_art_rooms":
        reading = (
            "不足{n}班不作要求".format(n=params.get("per_classes"))
            if params.get("reading") == "from_12_classes"
            else ""
        )
        return (
            f"每{params.get('per_classes')}班音乐、美术专用教室各1间以上;音乐≥{_plain(params.get('music_min_area'))}㎡,"
            f"美术≥{_plain(params.get('art_min_area'))}㎡" + (f"({reading})" if reading else "")
        )
    return ""


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
        return _finding(school, "missing", "未填报统计数据")
    outcomes: list[Outcome] = []
    details: list[str] = []
    for section in ("primary", "junior"):
        students = school.get(f"students_{section}")
        if not students:
            continue
        name = SECTION_NAMES[section]
        size = school.get(f"max_class_size_{section}")
        limit = limits[section]
        if size is None:
            outcomes.append("missing")
            details.append(f"{name}最大班额未填报")
        elif exact(size) > exact(limit):
            outcomes.append("fail")
            details.append(f"{name}最大班额 {_plain(size)} 人,超过 {_plain(limit)} 人")
        else:
            outcomes.append("pass")
            details.append(f"{name}最大班额 {_plain(size)} 人")
    if not outcomes:
        return _finding(school, "n/a", "无小学、初中在校生")
    return _finding(school, _worst(outcomes), ";".join(details))


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
        return _finding(school, "missing", "未填报统计数据")
    students = compulsory_students(school)
    if students is None:
        return _finding(school, "missing", "在校生数未填报")
    if students == 0:
        return _finding(school, "n/a", "无小学、初中在校生")
    cap = through_limit if school.school_type in through_types else limit
    if exact(students) > exact(cap):
        return _finding(school, "fail", f"义务教育阶段在校生 {_plain(students)} 人,超过 {_plain(cap)} 人")
    return _finding(school, "pass", f"义务教育阶段在校生 {_plain(students)} 人(上限 {_plain(cap)} 人)")


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
        return _finding(school, "missing", "未填报统计数据")
    primary, junior = school.get("classes_primary"), school.get("classes_junior")
    if primary is None and junior is None:
        return _finding(school, "missing", "班级数未填报")
    classes = (primary or 0) + (junior or 0)
    required = required_rooms(classes, per_classes, reading)
    if required is None:
        return _finding(school, "n/a", f"{_plain(classes)} 个班,不作要求")
    outcomes: list[Outcome] = []
    details = [f"{_plain(classes)} 个班,应配音乐、美术专用教室各 {required} 间"]
    for kind, name, minimum in (("music", "音乐", music_min_area), ("art", "美术", art_min_area)):
        rooms = school.get(f"{kind}_rooms")
        area = school.get(f"{kind}_room_min_area")
        if rooms is None:
            outcomes.append("missing")
            details.append(f"{name}专用教室数未填报")
            continue
        if rooms < required:
            outcomes.append("fail")
            details.append(f"{name}专用教室 {_plain(rooms)} 间,少 {_plain(required - rooms)} 间")
        else:
            outcomes.append("pass")
        if rooms > 0:
            if area is None:
                outcomes.append("missing")
                details.append(f"{name}专用教室面积未填报")
            elif exact(area) < exact(minimum):
                outcomes.append("fail")
                details.append(f"最小{name}专用教室 {_plain(area)}㎡,小于 {_plain(minimum)}㎡")
    return _finding(school, _worst(outcomes), ";".join(details))


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
    missing = tuple(f"{f.school_name}:{f.detail}" for f in unknown)
    if not judged and not unknown:
        missing = ("没有可判定的学校",)
    summary = f"{len(judged)} 所学校参与判定,{len(failing)} 所未达标" + (
        f",{len(unknown)} 所数据不全" if unknown else ""
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
        return None, "未填报"
    if check.den is None:
        return exact(num) * exact(check.scale), ""
    den = values.get(check.den)
    if den is None:
        return None, "未填报"
    if exact(den) == 0:
        return None, "分母为 0,无法计算"
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
                CheckResult(check.label, check.standard_text, None, passes, "" if raw is not None else "未填报")
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
    summary = f"{met}/{len(results)} 项判定达标" if results else ""
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


# --------------------------------------------------------------------------------------------
# Survey: sample plan and recognition rate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SamplePlan:
    """How many questionnaires are needed (§3.5): 1.5‰ of 常住人口, parents ≥ 50 %, area shares.

    Every target is rounded up (a minimum): total = ceil(population × permille ÷ 1000),
    parents = ceil(total × parent_share), each area = ceil(total × its share).
    """

    population: int
    permille: float
    total: int
    parents_min: int
    area_targets: Mapping[str, int]


def sample_plan(
    population: int,
    permille: Number = "1.5",
    parent_share: Number = "0.5",
    area_shares: Mapping[str, Number] | None = None,
) -> SamplePlan:
    if population < 0:
        raise ValueError("population")
    total = math.ceil(exact(population) * exact(permille) / 1000)
    parents = math.ceil(total * exact(parent_share))
    areas = {area: math.ceil(total * exact(share)) for area, share in (area_shares or {}).items()}
    return SamplePlan(population, float(exact(permille)), total, parents, areas)


@dataclass(frozen=True, slots=True)
class Fulfilment:
    """Valid responses against the plan; `complete` when every target is reached."""

    total: int
    total_target: int
    parents: int
    parents_min: int
    parent_share: float | None  # of the responses so far
    areas: Mapping[str, tuple[int, int]]  # area -> (responses, target)
    complete: bool


def plan_fulfilment(plan: SamplePlan, total: int, parents: int, by_area: Mapping[str, int]) -> Fulfilment:
    """Fulfilment of a sample plan: total ≥ target, parents ≥ their minimum, each area ≥ its target."""
    areas = {area: (by_area.get(area, 0), target) for area, target in plan.area_targets.items()}
    complete = total >= plan.total and parents >= plan.parents_min and all(n >= t for n, t in areas.values())
    share = parents / total if total else None
    return Fulfilment(total, plan.total, parents, plan.parents_min, share, areas, complete)


def group_tallies(
    counts: Iterable[tuple[str, str, str, int]],
    positive: Iterable[str],
    basis: str = "overall",
    overall_questions: Iterable[str] = ("overall",),
) -> dict[str, tuple[int, int]]:
    """Per respondent group: (positive answers, answers counted) from raw counts.

    ``counts`` are (group, question, option, n) rows, e.g. from the stored answers. ``basis``:
    "overall" counts only the overall question (one answer per valid questionnaire, so the rate is
    positive questionnaires ÷ valid questionnaires); "all" counts every question's answers.
    """
    good = set(positive)
    overall = set(overall_questions)
    out: dict[str, list[int]] = {}
    for group, question, option, n in counts:
        if basis == "overall" and question not in overall:
            continue
        entry = out.setdefault(group, [0, 0])
        entry[1] += n
        if option in good:
            entry[0] += n
    return {g: (p, t) for g, (p, t) in out.items()}


def recognition_rate(
    tallies: Mapping[str, tuple[int, int]], weights: Mapping[str, Number] | None = None
) -> Fraction | None:
    """The recognition rate as an exact fraction (0–1); None without any counted answer.

    No weights: pooled, Σ positive ÷ Σ counted. With weights: Σ w·rate_g ÷ Σ w over the groups
    that have answers; a group without a weight (or weight 0) is left out.
    """
    if not weights:
        positive = sum(p for p, _t in tallies.values())
        counted = sum(t for _p, t in tallies.values())
        return Fraction(positive, counted) if counted else None
    numerator = Fraction(0)
    denominator = Fraction(0)
    for group, (positive, counted) in tallies.items():
        weight = exact(weights.get(group, 0))
        if counted and weight > 0:
            numerator += weight * Fraction(positive, counted)
            denominator += weight
    return numerator / denominator if denominator else None


def recognition_verdict(rate: Fraction | None, threshold: Number = "0.85") -> bool | None:
    """≥ threshold passes (exactly 85 % passes); None without answers."""
    if rate is None:
        return None
    return rate >= exact(threshold)
