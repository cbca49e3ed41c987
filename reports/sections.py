"""The report's 政府保障程度, 教育质量, 社会认可度 and recorded 问题清单, from the assessment app.

The assessment app (issue #6) owns those data; this module is the one place reports read them,
through `assessment.selectors`:

    report_sections(district, year, profile_name) -> {
        "guarantee" | "quality" | "recognition" | "problems":
            {"has_data": bool, "verdict": bool | None, "rows": list[dict], "summary": str}}
    report_identity(district, year, profile_name) -> str     # optional, see assessment_identity

(row keys as documented on assessment.selectors.report_sections). When the app, the function or
its data is absent, a section says so plainly (NO_DATA) and nothing is invented. Errors inside
the assessment app are not hidden: they fail the render with a reason rather than print "no
data" for data that exists.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from schools.models import District

NO_DATA = "本县尚未录入该部分数据"
ASSESSMENT_MODULE = "assessment.selectors"
PARTS = (("guarantee", "政府保障程度"), ("quality", "教育质量"), ("recognition", "社会认可度"))
# Problems the assessment app opens from balance results: the report derives those itself from
# the stored result it prints (reports.content.derive_problems), so they are not listed twice.
DERIVED_SOURCES = ("balance_unit", "balance_cv")


@dataclass
class Section:
    """One assessment part; `available` False prints `message` only."""

    key: str
    title: str
    available: bool
    message: str = ""
    verdict: bool | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""


@dataclass
class Assessment:
    sections: list[Section]
    problems: list[dict[str, Any]]  # recorded problems (assessment.Problem rows), as given
    problems_summary: str = ""
    source_available: bool = False


def _module() -> ModuleType | None:
    try:
        return importlib.import_module(ASSESSMENT_MODULE)
    except ModuleNotFoundError as error:
        # Only the app's own absence counts as "not recorded"; a missing import inside it is a bug.
        if error.name in ("assessment", ASSESSMENT_MODULE):
            return None
        raise


def _report_sections(district: District, year: int, profile_name: str) -> dict[str, Any] | None:
    module = _module()
    function = getattr(module, "report_sections", None) if module is not None else None
    if function is None:
        return None
    result: dict[str, Any] = function(district, year, profile_name)
    return result


def assessment_for_report(district: District, year: int, profile_name: str) -> Assessment:
    """The three assessment parts and the recorded problems, or NO_DATA parts."""
    data = _report_sections(district, year, profile_name)
    if data is None:
        return Assessment([Section(key, title, False, NO_DATA) for key, title in PARTS], [])
    sections = []
    for key, title in PARTS:
        part = data.get(key) or {}
        if part.get("has_data"):
            sections.append(
                Section(
                    key,
                    title,
                    True,
                    verdict=part.get("verdict"),
                    rows=list(part.get("rows") or []),
                    summary=part.get("summary") or "",
                )
            )
        else:
            sections.append(Section(key, title, False, NO_DATA, summary=part.get("summary") or ""))
    problems = data.get("problems") or {}
    rows = [r for r in problems.get("rows") or [] if r.get("source") not in DERIVED_SOURCES]
    return Assessment(sections, rows, problems.get("summary") or "", source_available=True)


def assessment_identity(district: District, year: int, profile_name: str) -> str:
    """What the assessment data in a report is, for the report's fingerprint ("" when absent).

    Uses `assessment.selectors.report_identity` when the app provides one (cheap); otherwise a
    hash of what the report would print, which is exact but costs the sections' queries.
    """
    module = _module()
    if module is None:
        return ""
    identity = getattr(module, "report_identity", None)
    if identity is not None:
        return str(identity(district, year, profile_name))
    data = _report_sections(district, year, profile_name)
    return hashlib.sha256(repr(data).encode()).hexdigest()
