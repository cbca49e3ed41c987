"""Forms for rule profiles. The rules themselves are validated by formulas.Profile.from_dict."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import JsonDefinitionForm
from indicators.models import RuleProfile


class ProfileDefinitionForm(JsonDefinitionForm):
    definition_label = _("规则定义(JSON)")
    not_an_object = _("规则定义应为 JSON 对象")


class ProfileCreateForm(forms.Form):
    name = forms.SlugField(label=_("规则标识(英文、数字、短横线)"), max_length=64)
    label = forms.CharField(label=_("名称"), max_length=128)
    province = forms.CharField(label=_("适用省份"), max_length=32)
    base = forms.ModelChoiceField(label=_("复制自"), queryset=RuleProfile.objects.all())


class DistrictProfilesForm(forms.Form):
    profiles = forms.ModelMultipleChoiceField(
        label=_("本区县采用的评估规则"),
        queryset=RuleProfile.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, province: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["profiles"]
        field.queryset = RuleProfile.objects.filter(province__in=["", province])  # type: ignore[attr-defined]
        # Profile names are data; the shipped ones are in the catalog (indicators/presentation.py).
        field.label_from_instance = lambda p: f"{gettext(p.label) if p.label else ''} ({p.name})"  # type: ignore[attr-defined]
