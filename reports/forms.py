"""The report request form. Rules live in reports/services.py; this only shapes the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import ReportFormat, ReportKind


class ReportRequestForm(forms.Form):
    """Year, rule profile and format; for a district page also the kind and the school."""

    kind = forms.ChoiceField(label=_("报告类型"), choices=ReportKind.choices, initial=ReportKind.COUNTY)
    school = forms.ChoiceField(label=_("学校(学校报告)"), required=False, choices=())
    year = forms.TypedChoiceField(label=_("学年"), coerce=int, choices=())
    profile = forms.ChoiceField(label=_("评估规则"), choices=())
    fmt = forms.ChoiceField(label=_("格式"), choices=ReportFormat.choices, initial=ReportFormat.PDF)

    def __init__(
        self,
        *args: Any,
        years: list[int],
        profiles: list[tuple[str, str]],
        schools: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}—{y + 1}") for y in years]  # type: ignore[attr-defined]
        self.fields["profile"].choices = profiles  # type: ignore[attr-defined]
        if schools is None:  # a school's own page: the kind and the school are fixed
            del self.fields["kind"]
            del self.fields["school"]
        else:
            self.fields["school"].choices = [("", "—"), *schools]  # type: ignore[attr-defined]
