"""Forms of the county assessment pages. Dynamic forms (an item's figures, a questionnaire's
answers) are checked by assessment.services.parse_entry and
assessment.survey.services.parse_answers instead."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.models import Problem
from core.forms import JsonDefinitionForm
from schools.models import District, School


class ChecklistDefinitionForm(JsonDefinitionForm):
    definition_label = _("检查项定义(JSON)")
    not_an_object = _("检查项定义应为 JSON 对象")


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("问题"), max_length=300)
    detail = forms.CharField(label=_("具体情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    school = forms.ModelChoiceField(label=_("涉及学校"), queryset=School.objects.none(), required=False)
    owner = forms.CharField(label=_("责任单位/责任人"), max_length=100, required=False)
    deadline = forms.DateField(label=_("整改期限"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, district: District, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school"]
        field.queryset = School.objects.filter(district=district).prefetch_related("versions")  # type: ignore[attr-defined]
        field.label_from_instance = _school_label  # type: ignore[attr-defined]


def _school_label(school: School) -> str:
    versions = sorted(school.versions.all(), key=lambda v: v.valid_from)
    return f"{versions[-1].name if versions else school.code}({school.code})"


class ProblemEditForm(forms.Form):
    owner = forms.CharField(label=_("责任单位/责任人"), max_length=100, required=False)
    deadline = forms.DateField(label=_("整改期限"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    state = forms.ChoiceField(
        label=_("状态"),
        choices=[
            (Problem.State.OPEN, Problem.State.OPEN.label),
            (Problem.State.IN_PROGRESS, Problem.State.IN_PROGRESS.label),
        ],
    )


class ProblemCloseForm(forms.Form):
    note = forms.CharField(label=_("整改说明"), widget=forms.Textarea(attrs={"rows": 3}))
