"""Writes of plans, progress reports and the county plan. Every change goes through here.

The package follows the three subjects: ``plan`` (a school's three-year plan and its versions),
``progress`` (annual progress, deadlines and reminders) and ``county_plan`` (the county's plan,
targets and figures); ``common`` holds what they share. The public names are importable from
``plans.services`` as before the split, so callers say ``services.plan_submit(...)``.
"""

from __future__ import annotations

from plans.services.common import (
    PLAN_YEARS,
    parse_number,
    section_label,
)
from plans.services.county_plan import (
    FIGURE_KINDS,
    county_figure_set,
    county_plan_save,
    county_target_set,
)
from plans.services.plan import (
    Change,
    clean_target_values,
    current_plan,
    goal_delete,
    goal_save,
    plan_approve,
    plan_create,
    plan_diff,
    plan_missing_parts,
    plan_return,
    plan_revise,
    plan_save_sections,
    plan_submit,
    target_delete,
    target_save,
)
from plans.services.progress import (
    deadline_set,
    evidence_add,
    late_progress,
    latest_approved_plans,
    linked_actual,
    progress_autofill,
    progress_open,
    progress_review,
    progress_save,
    progress_submit,
    send_reminders,
    suggest_status,
)

__all__ = [
    "FIGURE_KINDS",
    "PLAN_YEARS",
    "Change",
    "clean_target_values",
    "county_figure_set",
    "county_plan_save",
    "county_target_set",
    "current_plan",
    "deadline_set",
    "evidence_add",
    "goal_delete",
    "goal_save",
    "late_progress",
    "latest_approved_plans",
    "linked_actual",
    "parse_number",
    "plan_approve",
    "plan_create",
    "plan_diff",
    "plan_missing_parts",
    "plan_return",
    "plan_revise",
    "plan_save_sections",
    "plan_submit",
    "progress_autofill",
    "progress_open",
    "progress_review",
    "progress_save",
    "progress_submit",
    "section_label",
    "send_reminders",
    "suggest_status",
    "target_delete",
    "target_save",
]
