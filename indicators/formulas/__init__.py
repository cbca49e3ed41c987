"""Pure computation core for 县域义务教育均衡发展 evaluation (no Django, no database).

Everything here is plain standard-library Python so that it can be unit-tested in isolation and
run over a whole country (about 2,900 counties x 70 evaluation units) in a few seconds.

Sources (``/work/shared/reference/standards.md`` unless said otherwise):

* §1 and §3.2 -- the seven 2017 资源配置 indicators, their per-school standards, the per-indicator
  CV thresholds (primary <= 0.50, junior <= 0.45) and the "6 of 7, the rest >= 85 %" school rule.
* §2.3 -- the eight 2012 校际均衡 indicators and the 综合差异系数 (mean of the CVs, <= 0.65/0.55).
* §4 -- the student-weighted population CV computed from raw totals; edge cases in §4.3.
* §5 -- scope switches (private, non-county, teaching points, special, vocational) and the
  1 : 1.1 : 1.32 weighted split of facility totals of mixed schools.
* §6 -- per-indicator formulas (per student, or per 100 students).
* §9 -- worked examples used as regression tests; §10 -- implementation notes.
* ``data-dictionary.md`` -- field keys, indicator keys, default profiles, mixed schools.

Numbers are kept at full precision throughout; rounding is for display only (§4.2, §10.2).

The package follows its sections: ``catalogue`` (vocabulary), ``profile`` (input records and
rule profiles), ``units`` (evaluation units and their values), ``cv`` (the weighted CV),
``compliance`` (per-school standards and gaps) and ``county`` (the county evaluation). How a
result is stored and read is not the engine's business: see ``indicators/results.py``.
"""

from __future__ import annotations

from indicators.formulas.catalogue import (
    COUNTY_RULES,
    DEFAULT_SECTION_WEIGHTS,
    ENGINE_VERSION,
    FACILITY_FIELDS,
    INDICATOR_CATALOG,
    LEVELS,
    NEAR_THRESHOLD,
    SCHOOL_TYPES,
    SECTIONS,
    TEACHER_FIELDS,
    TEACHING_POINT_MODES,
    Note,
    ProfileError,
)
from indicators.formulas.compliance import Gap, UnitCompliance, unit_compliance
from indicators.formulas.county import (
    CountyResult,
    IndicatorResult,
    LevelResult,
    UnitResult,
    county_result,
    evaluate_county,
)
from indicators.formulas.cv import CVResult, CVTerm, weighted_cv
from indicators.formulas.evaluate import Evaluation, LevelVerdict, evaluate
from indicators.formulas.profile import IndicatorRule, Profile, SchoolRecord, SchoolRule, Scope
from indicators.formulas.table import SchoolTable, school_table
from indicators.formulas.units import (
    Sections,
    Unit,
    UnitTable,
    evaluation_units,
    unit_sections,
    unit_table,
    unit_values,
)

__all__ = [
    "COUNTY_RULES",
    "DEFAULT_SECTION_WEIGHTS",
    "ENGINE_VERSION",
    "FACILITY_FIELDS",
    "INDICATOR_CATALOG",
    "LEVELS",
    "NEAR_THRESHOLD",
    "SCHOOL_TYPES",
    "SECTIONS",
    "TEACHER_FIELDS",
    "TEACHING_POINT_MODES",
    "CVResult",
    "CVTerm",
    "CountyResult",
    "Evaluation",
    "Gap",
    "IndicatorResult",
    "IndicatorRule",
    "LevelResult",
    "LevelVerdict",
    "Note",
    "Profile",
    "ProfileError",
    "SchoolRecord",
    "SchoolRule",
    "SchoolTable",
    "Scope",
    "Sections",
    "Unit",
    "UnitCompliance",
    "UnitResult",
    "UnitTable",
    "county_result",
    "evaluate",
    "evaluate_county",
    "evaluation_units",
    "school_table",
    "unit_compliance",
    "unit_sections",
    "unit_table",
    "unit_values",
    "weighted_cv",
]
