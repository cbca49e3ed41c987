"""Default rule profiles shipped with a new installation, as plain data for Profile.from_dict.

Source: data-dictionary.md "Default rule profiles" and "Indicator keys"; standards.md §1, §2.3,
§3.2, §5.1, §5.2, §5.3 and §10. Both profiles are data, editable per province by an
administrator; ``Profile.from_dict(X).to_dict() == X`` holds for each of them.

Items marked **[U]** are unverified in standards.md (recalled, not confirmed from the official
texts 教督〔2012〕3号 / 教督〔2017〕6号): they are configurable and must be checked before release.
"""

from __future__ import annotations

from typing import Any

# Student weights for splitting a mixed school's facilities, primary : junior : senior.
# Source [S] (training note, standards.md §5.2); configurable.
_SECTION_WEIGHTS: dict[str, float] = {"primary": 1.0, "junior": 1.1, "senior": 1.32}


def _indicator(
    key: str,
    label: str,
    numerator: str,
    factor: float,
    unit: str,
    gap_label: str,
    gap_unit: str,
    standards: tuple[float | None, float | None],
    cv_thresholds: tuple[float | None, float | None],
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "numerator": numerator,
        "factor": factor,
        "unit": unit,
        "gap_label": gap_label,
        "gap_unit": gap_unit,
        "standards": {"primary": standards[0], "junior": standards[1]},
        "cv_thresholds": {"primary": cv_thresholds[0], "junior": cv_thresholds[1]},
    }


# 2017: every indicator's CV must be <= 0.50 (primary) / 0.45 (junior); no composite test.
# [S] standards.md §1, §3.2 (fudaoke summaries and a local rule, not the national text).
_CV_2017: tuple[float, float] = (0.50, 0.45)

QUALITY_2017: dict[str, Any] = {
    "name": "quality-2017",
    "version": 1,
    "label": "优质均衡(教督〔2017〕6号)",
    "indicators": [
        # 小学 "高于规定学历" = 专科及以上, 初中 = 本科及以上 [S]; one summary says 本科 for
        # primary (standards.md §6): the definition lives in the imported counts, configurable.
        _indicator(
            "qualified_teachers_per100",
            "每百名学生拥有高于规定学历教师数",
            "qualified_teachers",
            100.0,
            "人/百名学生",
            "高于规定学历教师",
            "人",
            (4.2, 5.3),  # [V] 河北 reprint
            _CV_2017,
        ),
        _indicator(
            "backbone_teachers_per100",
            "每百名学生拥有县级以上骨干教师数",
            "backbone_teachers",
            100.0,
            "人/百名学生",
            "县级以上骨干教师",
            "人",
            (1.0, 1.0),  # [V] 河北 reprint
            _CV_2017,
        ),
        _indicator(
            "pe_art_teachers_per100",
            "每百名学生拥有体育、艺术专任教师数",
            "pe_art_teachers",
            100.0,
            "人/百名学生",
            "体育、艺术专任教师",
            "人",
            (0.9, 0.9),  # [S] fudaoke (the 河北 excerpt is cut off at this value)
            _CV_2017,
        ),
        # Whether 室内体育用房 is subtracted from this area is [U] (standards.md §5.3); see
        # "subtract_indoor_sports" below.
        _indicator(
            "teaching_area_per_student",
            "生均教学及辅助用房面积",
            "teaching_area",
            1.0,
            "m²/生",
            "教学及辅助用房",
            "m²",
            (4.5, 5.8),  # [S] fudaoke
            _CV_2017,
        ),
        _indicator(
            "sports_area_per_student",
            "生均体育运动场馆面积",
            "sports_area",
            1.0,
            "m²/生",
            "体育运动场馆",
            "m²",
            (7.5, 10.2),  # [V] news
            _CV_2017,
        ),
        # Equipment value in 元; the statistics' 万元 -> 元 conversion is [U] (standards.md §6)
        # and belongs to the importer.
        _indicator(
            "equipment_value_per_student",
            "生均教学仪器设备值",
            "equipment_value",
            1.0,
            "元/生",
            "仪器设备",
            "元",
            (2000.0, 2500.0),  # [S] fudaoke
            _CV_2017,
        ),
        _indicator(
            "multimedia_rooms_per100",
            "每百名学生拥有网络多媒体教室数",
            "multimedia_rooms",
            100.0,
            "间/百名学生",
            "网络多媒体教室",
            "间",
            (2.3, 2.4),  # [S] fudaoke
            _CV_2017,
        ),
    ],
    "county_rule": "each_indicator",
    # No composite in the 2017 national rule (standards.md §3.2); a locally published "综合" is
    # computed by the engine for information only.
    "composite_thresholds": None,
    # ">= 6 of 7 met" [S]; "the other one >= 85 % of its standard" is [U] (recalled wording
    # "余项不能低于要求的85%"): configurable.
    "school_rule": {"min_met": 6, "max_failing": None, "floor_ratio": 0.85},
    "scope": {
        # Private schools are not excluded by the 2017 scope text [V 河北]; evidence that they
        # count is [S]. Configurable per province.
        "exclude_private": False,
        # Whether non-county-run schools are in the 2017 CV set is [U] (no statement found).
        "exclude_non_county": False,
        # Teaching points with < 50 students excluded [V 河北]; ">= 50 included as their own unit"
        # and the national treatment of teaching points are [U] (standards.md §11).
        "teaching_point_mode": "separate",
        "teaching_point_min_students": 50,
        "exclude_special": True,  # [V 河北]
        "exclude_vocational": True,  # [V 河北]
    },
    # Subtracting indoor sports rooms from the teaching area: official rule [U] (§5.3); off.
    "subtract_indoor_sports": False,
    "section_weights": dict(_SECTION_WEIGHTS),
}

# 2012: per-indicator CVs are not tested; only the composite (mean of the 8 CVs) is
# (standards.md §2.3 [V]).
_NO_STANDARD: tuple[None, None] = (None, None)
_NO_THRESHOLD: tuple[None, None] = (None, None)

BASIC_2012: dict[str, Any] = {
    "name": "basic-2012",
    "version": 1,
    "label": "基本均衡(教督〔2012〕3号)",
    "indicators": [
        _indicator(
            "teaching_area_per_student",
            "生均教学及辅助用房面积",
            "teaching_area",
            1.0,
            "m²/生",
            "教学及辅助用房",
            "m²",
            _NO_STANDARD,
            _NO_THRESHOLD,
        ),
        _indicator(
            "sports_area_per_student",
            "生均体育运动场馆面积",
            "sports_area",
            1.0,
            "m²/生",
            "体育运动场馆",
            "m²",
            _NO_STANDARD,
            _NO_THRESHOLD,
        ),
        _indicator(
            "equipment_value_per_student",
            "生均教学仪器设备值",
            "equipment_value",
            1.0,
            "元/生",
            "仪器设备",
            "元",
            _NO_STANDARD,
            _NO_THRESHOLD,
        ),
        _indicator(
            "computers_per100",
            "每百名学生拥有计算机台数",
            "computers",
            100.0,
            "台/百名学生",
            "教学用计算机",
            "台",
            _NO_STANDARD,
            _NO_THRESHOLD,
        ),
        _indicator(
            "books_per_student",
            "生均图书册数",
            "books",
            1.0,
            "册/生",
            "图书",
            "册",
            _NO_STANDARD,
            _NO_THRESHOLD,
        ),
        # The three teacher ratios are decimals per student (e.g. 0.054), not per 100 [V tables].
        _indicator(
            "teacher_student_ratio",
            "师生比",
            "teachers",
            1.0,
            "人/生",
            "专任教师",
            "人",
            _NO_STANDARD,
            _NO_THRESHOLD,
        ),
        _indicator(
            "qualified_teachers_per_student",
            "生均高于规定学历教师数",
            "qualified_teachers",
            1.0,
            "人/生",
            "高于规定学历教师",
            "人",
            _NO_STANDARD,
            _NO_THRESHOLD,
        ),
        _indicator(
            "mid_title_teachers_per_student",
            "生均中级及以上专业技术职务教师数",
            "mid_title_teachers",
            1.0,
            "人/生",
            "中级及以上职称教师",
            "人",
            _NO_STANDARD,
            _NO_THRESHOLD,
        ),
    ],
    "county_rule": "composite",
    # 综合差异系数 <= 0.65 (primary) / <= 0.55 (junior) [V] standards.md §1, §2.3.
    "composite_thresholds": {"primary": 0.65, "junior": 0.55},
    # The school-level prerequisite is the province's own basic standard (§2.4): the default
    # carries no standards, so no school is assessed; "at most 0 failing" is a placeholder for
    # the province's "≤ k 项不达标" rule. Configurable.
    "school_rule": {"min_met": None, "max_failing": 0, "floor_ratio": None},
    "scope": {
        # Private schools excluded from 表Ⅱ [S]; that the same holds for the CV table (表Ⅲ)
        # is [U]. Configurable.
        "exclude_private": True,
        "exclude_non_county": True,  # [S] 申报表 填报说明
        # Teaching points excluded from 表Ⅱ [S]; their treatment in the 表Ⅲ CVs is [U].
        "teaching_point_mode": "exclude",
        "teaching_point_min_students": None,
        # Special schools are not part of the 小学/初中 CVs [U]; vocational schools [U].
        "exclude_special": True,
        "exclude_vocational": True,
    },
    # Official rule on 室内体育用房 double counting is [U] (§5.3); off by default.
    "subtract_indoor_sports": False,
    "section_weights": dict(_SECTION_WEIGHTS),
}

DEFAULT_PROFILES: dict[str, dict[str, Any]] = {
    "quality-2017": QUALITY_2017,
    "basic-2012": BASIC_2012,
}
