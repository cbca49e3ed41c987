"""Vocabulary of the engine: levels, sections, fields, the indicator catalogue, the engine version.

Sources: standards.md §2.3, §3.2, §5.2, §6; data-dictionary "Indicator keys".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

#: Compulsory levels that get their own CV (primary 小学, junior 初中).
LEVELS: Final[tuple[str, str]] = ("primary", "junior")
#: Sections whose students share a mixed school's facilities (senior only counts in the split).
SECTIONS: Final[tuple[str, str, str]] = ("primary", "junior", "senior")
#: Whole-school facility totals; split between sections by weighted students (§5.2).
FACILITY_FIELDS: Final[tuple[str, ...]] = (
    "teaching_area",
    "indoor_sports_area",
    "sports_area",
    "equipment_value",
    "books",
    "computers",
    "multimedia_rooms",
)
#: Teacher base fields; the statistics carry them per section with a ``_primary``/``_junior``
#: suffix and they are never split by weight (§5.2, "Teachers are not split by weight").
TEACHER_FIELDS: Final[tuple[str, ...]] = (
    "teachers",
    "qualified_teachers",
    "mid_title_teachers",
    "backbone_teachers",
    "pe_art_teachers",
)
KNOWN_FIELDS: Final[frozenset[str]] = frozenset(FACILITY_FIELDS + TEACHER_FIELDS)

SCHOOL_TYPES: Final[tuple[str, ...]] = (
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_middle",
    "teaching_point",
    "special",
    "vocational_junior",
)
TEACHING_POINT_MODES: Final[tuple[str, str, str]] = ("separate", "exclude", "merge_into_parent")
COUNTY_RULES: Final[tuple[str, str]] = ("each_indicator", "composite")

TeachingPointMode = Literal["separate", "exclude", "merge_into_parent"]
CountyRule = Literal["each_indicator", "composite"]

#: Student weights for splitting facilities, primary : junior : senior = 1 : 1.1 : 1.32 (§5.2).
DEFAULT_SECTION_WEIGHTS: Final[Mapping[str, float]] = {
    "primary": 1.0,
    "junior": 1.1,
    "senior": 1.32,
}

#: A CV this close to its threshold is flagged for human review: whether the official comparison
#: uses the 3-dp rounded or the exact value is unknown (§4.3, [U]).
# Version of these formulas. Stored results carry it, and a change makes them recompute: bump it
# whenever a change here could change a stored number.
ENGINE_VERSION: Final[str] = "2026.12.1"
NEAR_THRESHOLD: Final[float] = 0.0005

#: Relative tolerance for products of decimal constants that binary floats cannot represent
#: exactly (0.85 x 7.5, 4.2 x 300 / 100). Used for the 85 % floor and for rounding gaps up;
#: the "met" test itself is an exact comparison.
_REL_EPS: Final[float] = 1e-9

#: Known indicators (data-dictionary "Indicator keys", standards.md §2.3, §3.2, §6). A profile
#: may only use these keys; missing descriptive fields in a profile are filled from here.
#: factor 100 = "每百名学生", factor 1 = per student (2012 teacher ratios are decimals, §2.3).
INDICATOR_CATALOG: Final[Mapping[str, Mapping[str, str | float]]] = {
    "qualified_teachers_per100": {
        "label": "每百名学生拥有高于规定学历教师数",
        "numerator": "qualified_teachers",
        "factor": 100.0,
        "unit": "人/百名学生",
        "gap_label": "高于规定学历教师",
        "gap_unit": "人",
    },
    "backbone_teachers_per100": {
        "label": "每百名学生拥有县级以上骨干教师数",
        "numerator": "backbone_teachers",
        "factor": 100.0,
        "unit": "人/百名学生",
        "gap_label": "县级以上骨干教师",
        "gap_unit": "人",
    },
    "pe_art_teachers_per100": {
        "label": "每百名学生拥有体育、艺术专任教师数",
        "numerator": "pe_art_teachers",
        "factor": 100.0,
        "unit": "人/百名学生",
        "gap_label": "体育、艺术专任教师",
        "gap_unit": "人",
    },
    "teaching_area_per_student": {
        "label": "生均教学及辅助用房面积",
        "numerator": "teaching_area",
        "factor": 1.0,
        "unit": "m²/生",
        "gap_label": "教学及辅助用房",
        "gap_unit": "m²",
    },
    "sports_area_per_student": {
        "label": "生均体育运动场馆面积",
        "numerator": "sports_area",
        "factor": 1.0,
        "unit": "m²/生",
        "gap_label": "体育运动场馆",
        "gap_unit": "m²",
    },
    "equipment_value_per_student": {
        "label": "生均教学仪器设备值",
        "numerator": "equipment_value",
        "factor": 1.0,
        "unit": "元/生",
        "gap_label": "仪器设备",
        "gap_unit": "元",
    },
    "multimedia_rooms_per100": {
        "label": "每百名学生拥有网络多媒体教室数",
        "numerator": "multimedia_rooms",
        "factor": 100.0,
        "unit": "间/百名学生",
        "gap_label": "网络多媒体教室",
        "gap_unit": "间",
    },
    "computers_per100": {
        "label": "每百名学生拥有计算机台数",
        "numerator": "computers",
        "factor": 100.0,
        "unit": "台/百名学生",
        "gap_label": "教学用计算机",
        "gap_unit": "台",
    },
    "books_per_student": {
        "label": "生均图书册数",
        "numerator": "books",
        "factor": 1.0,
        "unit": "册/生",
        "gap_label": "图书",
        "gap_unit": "册",
    },
    "teacher_student_ratio": {
        "label": "师生比",
        "numerator": "teachers",
        "factor": 1.0,
        "unit": "人/生",
        "gap_label": "专任教师",
        "gap_unit": "人",
    },
    "qualified_teachers_per_student": {
        "label": "生均高于规定学历教师数",
        "numerator": "qualified_teachers",
        "factor": 1.0,
        "unit": "人/生",
        "gap_label": "高于规定学历教师",
        "gap_unit": "人",
    },
    "mid_title_teachers_per_student": {
        "label": "生均中级及以上专业技术职务教师数",
        "numerator": "mid_title_teachers",
        "factor": 1.0,
        "unit": "人/生",
        "gap_label": "中级及以上职称教师",
        "gap_unit": "人",
    },
}


class ProfileError(ValueError):
    """An invalid rule profile. The message is bilingual: "中文 / English"."""


def _err(zh: str, en: str) -> ProfileError:
    return ProfileError(f"{zh} / {en}")


# --------------------------------------------------------------------------------------------
# Notes: what the engine says about a unit, a CV or a level, as a code and its figures
# --------------------------------------------------------------------------------------------

#: The Chinese wording of every note, by code. The texts are printf-style so that a page can look
#: the same text up in its translation catalogue and fill in the same figures (the engine knows
#: nothing of Django; indicators/presentation.py marks these texts for translation, and a test
#: keeps the two lists together). ``%(label)s`` is an indicator's label, ``%(labels)s`` several.
NOTE_TEXTS: Final[Mapping[str, str]] = {
    # why a unit is left out of the calculation
    "private": "民办学校,按规则不计入",
    "not_county_run": "非县属学校(省市直属、高校附属或企业办学),按规则不计入",
    "special": "特殊教育学校,不计入资源配置差异系数",
    "vocational": "职业初中,不计入资源配置差异系数",
    "teaching_point_excluded": "小学教学点,按规则不计入",
    "unknown_type": "未知学校类型 %(school_type)s,未计入",
    "teaching_point_small": "教学点在校生 %(count)s 人,不足 %(minimum)s 人",
    "parent_missing": "教学点所属学校 %(parent)s 不在本次数据中或没有小学部,未能合并",
    "merged_into_parent": "教学点已并入所属学校 %(parent)s %(parent_name)s 计算",
    "no_students": "在校生为 0,不参与计算",
    "students_unreported": "在校生未填报,不参与计算",
    # a unit's compliance
    "cannot_judge_no_students": "在校生为 0,无法评估",
    "no_school_standards": "本规则未设学校达标标准",
    "fewer_assessed": "评估指标 %(assessed)s 项,少于要求达标的 %(min_met)s 项",
    # one CV
    "cv_empty": "没有参与计算的学校",
    "cv_zero_mean": "均值为 0,差异系数无定义",
    "cv_single": "只有一所学校",
    # a level's verdict
    "values_missing": "%(label)s: %(missing)s 所学校未填报,未计入差异系数",
    "cv_near": "%(label)s差异系数接近标准 %(threshold)s,建议人工复核",
    "level_empty": "该学段没有参与计算的学校",
    "no_composite_standard": "本学段未设综合差异系数标准",
    "composite_undefined": "有指标差异系数无定义,无法计算综合差异系数",
    "composite_near": "综合差异系数接近标准 %(threshold)s,建议人工复核",
    "no_cv_standard": "本学段未设差异系数标准",
    "cv_undefined": "差异系数无定义,无法判定: %(labels)s",
    # a note of a result stored before notes were codes (converted by a migration, kept as worded)
    "stored_text": "%(text)s",
}

NoteValue = str | int | float | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """A remark of the engine: a code from NOTE_TEXTS and the figures its text needs.

    Stored as code and figures (not as text), so that every page can word it in its language
    from the same figures. ``text`` is the Chinese wording.
    """

    code: str
    params: Mapping[str, NoteValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in NOTE_TEXTS:
            raise KeyError(f"unknown note code {self.code!r}")
        # A list of names (e.g. from stored JSON) is kept as a tuple, so equal notes compare equal.
        params = {k: tuple(v) if isinstance(v, list | tuple) else v for k, v in dict(self.params).items()}
        object.__setattr__(self, "params", params)

    @property
    def text(self) -> str:
        if not self.params:
            return NOTE_TEXTS[self.code]
        return NOTE_TEXTS[self.code] % {k: "、".join(v) if isinstance(v, tuple) else v for k, v in self.params.items()}

    def __str__(self) -> str:
        return self.text
