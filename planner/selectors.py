"""Reads of the planner's stored data: the adopted plan of a district-year, as the report shows it."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from planner.labels import LEVEL_LABELS, kind_label
from planner.models import AdoptedPlan
from schools.models import District


def adopted_plan(district: District, year: int, profile_name: str) -> AdoptedPlan | None:
    """The newest plan adopted for the district-year under the profile."""
    return AdoptedPlan.objects.filter(district=district, year=year, profile_name=profile_name).first()


def newest_adopted_plan(district: District) -> AdoptedPlan | None:
    """The district's most recently adopted plan, whatever its year and profile: the one a school
    is asked to follow."""
    return AdoptedPlan.objects.filter(district=district).first()


def adopted_plan_id(district: District, year: int, profile_name: str) -> int | None:
    """Its id only (a report's fingerprint: an adopted plan is never changed, a new one is added)."""
    return (
        AdoptedPlan.objects.filter(district=district, year=year, profile_name=profile_name)
        .values_list("pk", flat=True)
        .first()
    )


def appendix(district: District, year: int, profile_name: str) -> dict[str, Any] | None:
    """The county report's appendix 整改方案 (always in Chinese, as the report is)."""
    adopted = adopted_plan(district, year, profile_name)
    if adopted is None:
        return None
    content = adopted.content
    with translation.override("zh-hans"):
        rows = [
            {
                "school": f"{a['school_name']}({a['school_code']})",
                "level": str(LEVEL_LABELS.get(a.get("level") or "", "")),
                "what": kind_label(a["kind"]) + (f" → {a['to_school_name']}" if a.get("to_school_name") else ""),
                "amount": f"{a['amount']:,}" if isinstance(a["amount"], int) else f"{a['amount']:,.2f}",
                "unit": a["unit"],
                "cost": f"{a['cost_yuan']:,.0f}",
            }
            for a in content.get("actions", [])
        ]
        by_kind: dict[str, float] = {}
        for a in content.get("actions", []):
            label = kind_label(a["kind"])
            by_kind[label] = by_kind.get(label, 0.0) + float(a["cost_yuan"])
    years = (content.get("schedule") or {}).get("years") or []
    return {
        "adopted_at": adopted.adopted_at.strftime("%Y-%m-%d"),
        "cost": f"{content.get('cost_yuan', 0):,.0f}",
        "naive_cost": f"{content.get('naive_cost_yuan', 0):,.0f}",
        "naive_passes": bool(content.get("naive_passes")),
        "lower_bound": f"{content.get('lower_bound_yuan', 0):,.0f}",
        "passes": bool(content.get("passes")),
        "still_failing": list(content.get("still_failing", [])),
        "rows": rows,
        "by_kind": [(k, f"{v:,.0f}") for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])],
        "years": [
            {
                "year": y["year"],
                "budget": "不限" if y.get("budget_yuan") is None else f"{y['budget_yuan']:,.0f}",
                "cost": f"{y.get('cost_yuan', 0):,.0f}",
                "share": "—" if y.get("compliance_share") is None else f"{y['compliance_share']:.1f}%",
                "passes": "是" if y.get("passes") else "否",
                "schools": len(y.get("schools", [])),
            }
            for y in years
        ],
    }
