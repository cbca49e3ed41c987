"""Forms shared by several apps."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class JsonDefinitionForm(forms.Form):
    """Edit a versioned definition (rule profile, checklist) as a JSON object, with a change note.

    Subclasses set `definition_label` and `not_an_object`; the content itself is checked by the
    service that saves it (e.g. formulas.Profile.from_dict).
    """

    definition_label: Any = _("定义(JSON)")
    not_an_object: Any = _("定义应为 JSON 对象")

    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 30, "class": "mono", "spellcheck": "false"}))
    note = forms.CharField(label=_("修订说明"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["definition"].label = self.definition_label

    def clean_definition(self) -> dict[str, Any]:
        try:
            data = json.loads(self.cleaned_data["definition"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("JSON 格式错误:第 %(line)s 行第 %(col)s 列") % {"line": exc.lineno, "col": exc.colno}
            ) from exc
        if not isinstance(data, dict):
            raise forms.ValidationError(self.not_an_object)
        return data
