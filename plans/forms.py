"""Forms of the plan pages. Rules live in plans/services.py; these only shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plans.metrics import metric_choices
from plans.models import SECTION_FIELDS, Direction, PlanArea, ProgressStatus, SchoolPlan


class PlanCreateForm(forms.Form):
    title = forms.CharField(label=_("规划名称"), max_length=128)
    start_year = forms.IntegerField(label=_("起始学年"), min_value=2000, max_value=2100)


class SectionsForm(forms.ModelForm):  # type: ignore[type-arg]
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SchoolPlan
        fields = ["title", *SECTION_FIELDS]
        widgets = {f: forms.Textarea(attrs={"rows": 4}) for f in SECTION_FIELDS}


class GoalForm(forms.Form):
    area = forms.ModelChoiceField(label=_("领域"), queryset=PlanArea.objects.filter(active=True))
    title = forms.CharField(label=_("目标"), max_length=200)
    measures = forms.CharField(label=_("主要措施"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TargetForm(forms.Form):
    """A target; year values arrive as value_<year> fields (text, checked by the service)."""

    name = forms.CharField(label=_("指标名称"), max_length=120)
    metric = forms.ChoiceField(label=_("关联系统指标"), required=False, choices=())
    level = forms.ChoiceField(
        label=_("学段"), required=False, choices=[("", "—"), ("primary", _("小学")), ("junior", _("初中"))]
    )
    unit = forms.CharField(label=_("单位(自定义指标)"), max_length=20, required=False)
    direction = forms.ChoiceField(label=_("方向"), choices=Direction.choices, initial=Direction.HIGHER)
    baseline = forms.CharField(label=_("基线值"), required=False)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = metric_choices()  # type: ignore[attr-defined]
        self.years = years
        for year in years:
            self.fields[f"value_{year}"] = forms.CharField(label=f"{year}", required=False)

    def year_values(self) -> dict[str, str]:
        return {str(y): self.data.get(f"value_{y}", "") for y in self.years if self.data.get(f"value_{y}", "") != ""}


class ProgressItemForm(forms.Form):
    actual = forms.CharField(label=_("实际值"), required=False)
    status = forms.ChoiceField(label=_("达成情况"), choices=[("", "—"), *ProgressStatus.choices], required=False)
    narrative = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("佐证材料(PDF、图片、Word、Excel,不超过 20 MB)"))
