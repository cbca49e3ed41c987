"""The form that opens a scenario (the edits are posted as plain fields: scenarios.edits.Edit)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from indicators.models import RuleProfile


class ScenarioCreateForm(forms.Form):
    name = forms.CharField(label=_("方案名称"), max_length=100)
    year = forms.IntegerField(label=_("学年"), min_value=2000, max_value=2100)
    profile = forms.ChoiceField(label=_("评估规则"))

    def __init__(self, *args: Any, profiles: list[RuleProfile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["profile"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p.name, _(p.label) if p.label else p.name) for p in profiles]
