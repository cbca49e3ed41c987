"""Unit costs of what the planner can do, per district: the prices a plan is costed with.

The defaults below are assumptions, not official prices: each line says where its figure comes
from. A bureau edits its own table (`UnitCost`, one row per district, page 单价表); the planner
reads it through `unit_costs_for`. All amounts are 元 (yuan).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Final


@dataclass(frozen=True, slots=True)
class UnitCosts:
    """The prices one plan is costed with (元)."""

    # 教学及辅助用房, per m² built. Assumption: county school buildings cost about
    # 2,500-3,500 元/m² to build in the 2020s (frame structure, fitted out); midpoint 3,000.
    teaching_area_m2: float = 3000.0
    # 室内体育馆, per m². Assumption: a sports hall costs more than classrooms (large span).
    sports_hall_m2: float = 4000.0
    # 室外运动场地, per m² (plastic track and field, hard courts). Assumption: 200-400 元/m².
    sports_ground_m2: float = 300.0
    # 教学仪器设备: bought at face value, 1 元 of equipment value costs 1 元 (issue #15).
    equipment_yuan: float = 1.0
    # 网络多媒体教室, per room fitted (interactive display, network, sound). Assumption: 60,000.
    multimedia_room: float = 60000.0
    # 教学用计算机, per machine (2012 profile). Assumption: 5,000.
    computer: float = 5000.0
    # 图书, per volume (2012 profile). Assumption: 30 元/册, typical list price of school books.
    book: float = 30.0
    # A new 专任教师's yearly cost (salary, insurance, housing fund) by level. Assumption: teachers
    # are paid at least as local civil servants (standards.md §3.3 item 8), about 100,000 元/year
    # in a county; junior a little more.
    teacher_primary_year: float = 100000.0
    teacher_junior_year: float = 110000.0
    # 交流轮岗: one teacher moved for a year (allowance, transport, housing). Assumption: 20,000.
    transfer: float = 20000.0
    # Designating a 县级骨干教师 through training (training course, mentoring, assessment).
    # Assumption: 8,000 元 per teacher.
    backbone_training: float = 8000.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise CostError(
                    f"单价 {COST_LABELS[f.name][0]} 必须是数值", f"{COST_LABELS[f.name][1]} must be a number"
                )
            if value < 0:
                raise CostError(
                    f"单价 {COST_LABELS[f.name][0]} 不能为负数({value})",
                    f"the unit cost {COST_LABELS[f.name][1]} must not be negative ({value})",
                )

    def teacher_year(self, level: str) -> float:
        return self.teacher_primary_year if level == "primary" else self.teacher_junior_year

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> UnitCosts:
        unknown = sorted(set(values) - set(COST_KEYS))
        if unknown:
            raise CostError(f"未知单价项目 {unknown}", f"unknown unit cost keys {unknown}")
        converted: dict[str, float] = {}
        for key, value in values.items():
            try:
                converted[key] = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise CostError(
                    f"单价 {COST_LABELS[key][0]} 必须是数值", f"{COST_LABELS[key][1]} must be a number"
                ) from None
        return cls(**converted)


class CostError(ValueError):
    """A unit cost that cannot be used; the message is "中文 / English"."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


#: Key -> (Chinese label, English label, unit).
COST_LABELS: Final[dict[str, tuple[str, str, str]]] = {
    "teaching_area_m2": ("教学及辅助用房(元/m²)", "teaching rooms (yuan/m²)", "元/m²"),
    "sports_hall_m2": ("室内体育馆(元/m²)", "sports hall (yuan/m²)", "元/m²"),
    "sports_ground_m2": ("室外运动场地(元/m²)", "sports ground (yuan/m²)", "元/m²"),
    "equipment_yuan": ("教学仪器设备(元/元)", "equipment (yuan per yuan of value)", "元/元"),
    "multimedia_room": ("网络多媒体教室(元/间)", "multimedia room (yuan/room)", "元/间"),
    "computer": ("教学用计算机(元/台)", "computer (yuan each)", "元/台"),
    "book": ("图书(元/册)", "book (yuan/volume)", "元/册"),
    "teacher_primary_year": ("新增小学专任教师(元/人·年)", "new primary teacher (yuan/year)", "元/人·年"),
    "teacher_junior_year": ("新增初中专任教师(元/人·年)", "new junior teacher (yuan/year)", "元/人·年"),
    "transfer": ("教师交流轮岗(元/人)", "teacher transfer (yuan/teacher)", "元/人"),
    "backbone_training": ("培训认定骨干教师(元/人)", "backbone designation by training (yuan/teacher)", "元/人"),
}
COST_KEYS: Final[tuple[str, ...]] = tuple(f.name for f in fields(UnitCosts))
DEFAULT_COSTS: Final = UnitCosts()
