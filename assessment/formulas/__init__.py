"""Pure judgements of the county assessment (no Django, no database).

Sources (``/work/shared/reference/standards.md``):

* §3.3 政府保障程度 and §3.4 教育质量 — the checklist items; §1 and §6 — their numbers: class size
  ≤ 45 (小学) / ≤ 50 (初中) [S]; school size ≤ 2000, ≤ 2500 for the compulsory stage of 一贯制
  schools [U]; music and art rooms 1 each per 12 classes, ≥ 96 / ≥ 90 m² [rule S, numbers U],
  with the reading below 12 classes configurable (§6).
* §3.5 社会认可度 — the recognition part of the checklist (its arithmetic, sample 1.5‰ of 常住人口
  and the ≥ 85 % rate, is in assessment/survey/formulas.py).
* §3.6 一票否决 — a failing veto item fails the county whatever the rest.

Units: class and school sizes in 人 (students), room areas in m², percentages in % (0–100),
money in 元, rates as fractions (0–1). Comparisons are exact: inputs are converted to
``fractions.Fraction`` (from their decimal text), so 85/100 against 0.85 or 95.00 % against 95 %
is decided without binary rounding. Floats are returned for display only.

The package follows the checklist's life: ``checklist`` (the definition: vocabulary, exact
numbers, specs and their parsing) and ``judgements`` (schools, items, areas, the county). The
survey's arithmetic lives with the survey (assessment/survey/formulas.py).
"""

from __future__ import annotations

from assessment.formulas.checklist import (
    AREA_KEYS,
    AUTO_KINDS,
    INPUT_TYPES,
    OPS,
    RATE_BASES,
    ROOM_READINGS,
    SECTION_NAMES,
    THROUGH_TYPES_DEFAULT,
    AreaSpec,
    Checklist,
    ChecklistError,
    CheckSpec,
    InputSpec,
    ItemSpec,
    Number,
    Outcome,
    RecognitionSpec,
    auto_standard_text,
    exact,
    plain,
)
from assessment.formulas.judgements import (
    AreaJudgement,
    CheckResult,
    ItemJudgement,
    SchoolFacts,
    SchoolFinding,
    check_value,
    compare,
    compulsory_students,
    county_verdict,
    judge_area,
    judge_auto,
    judge_class_size,
    judge_entered,
    judge_rooms,
    judge_school_size,
    required_rooms,
)

__all__ = [
    "AREA_KEYS",
    "AUTO_KINDS",
    "INPUT_TYPES",
    "OPS",
    "RATE_BASES",
    "ROOM_READINGS",
    "SECTION_NAMES",
    "THROUGH_TYPES_DEFAULT",
    "AreaJudgement",
    "AreaSpec",
    "CheckResult",
    "CheckSpec",
    "Checklist",
    "ChecklistError",
    "InputSpec",
    "ItemJudgement",
    "ItemSpec",
    "Number",
    "Outcome",
    "RecognitionSpec",
    "SchoolFacts",
    "SchoolFinding",
    "auto_standard_text",
    "check_value",
    "compare",
    "compulsory_students",
    "county_verdict",
    "exact",
    "judge_area",
    "judge_auto",
    "judge_class_size",
    "judge_entered",
    "judge_rooms",
    "judge_school_size",
    "plain",
    "required_rooms",
]
