"""The checklist definition (no Django, no database): its vocabulary, exact numbers, the item,
input, check, area and recognition specs, and their parsing from a stored definition.

The rules and units are those of the package docstring (assessment/formulas/__init__.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, Literal

from assessment.formulas.text import Text, joined

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
            return Text("是")
        symbol = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}[self.op]
        return Text("%(op)s %(threshold)s%(unit)s", op=symbol, threshold=plain(self.threshold), unit=self.unit)


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
        return joined(
            ";",
            (
                c.label if c.op == "true" else Text("%(label)s %(standard)s", label=c.label, standard=c.standard_text)
                for c in self.checks
            ),
        )


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


def plain(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def auto_standard_text(kind: str, params: Mapping[str, Any]) -> str:
    if kind == "class_size":
        limits = params.get("limits", {})
        return Text(
            "小学班额≤%(primary)s人,初中班额≤%(junior)s人",
            primary=plain(limits.get("primary")),
            junior=plain(limits.get("junior")),
        )
    if kind == "school_size":
        return Text(
            "规模≤%(limit)s人,一贯制学校义务教育阶段≤%(through)s人",
            limit=plain(params.get("limit")),
            through=plain(params.get("through_limit")),
        )
    if kind == "music_art_rooms":
        figures = {
            "per": params.get("per_classes"),
            "music": plain(params.get("music_min_area")),
            "art": plain(params.get("art_min_area")),
        }
        if params.get("reading") == "from_12_classes":
            return Text(
                "每%(per)s班音乐、美术专用教室各1间以上;音乐≥%(music)s㎡,美术≥%(art)s㎡(不足%(per)s班不作要求)",
                **figures,
            )
        return Text("每%(per)s班音乐、美术专用教室各1间以上;音乐≥%(music)s㎡,美术≥%(art)s㎡", **figures)
    return ""
