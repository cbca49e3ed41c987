"""Browser forms for the registry and the statistics. Rules live in services/validation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from schools.fields import AREA_TYPES, GROUPS, OWNERSHIPS, SCHOOL_TYPES, STAT_FIELDS, TYPE_SECTIONS, StatField
from schools.models import School


class StatisticsForm(forms.Form):
    """All data-dictionary fields as text inputs, parsed by schools.validation.

    Text inputs (not number inputs) so that "1,200" or a stray letter reaches the server and
    gets a precise Chinese message instead of the browser's own.
    """

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, school_type: str, warned: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school_type = school_type
        sections = TYPE_SECTIONS.get(school_type, ())
        for spec in STAT_FIELDS:
            attrs = {"inputmode": "decimal", "autocomplete": "off", "data-key": spec.key}
            if spec.section and spec.section not in sections:
                attrs["data-absent-section"] = "1"
            self.fields[spec.key] = forms.CharField(
                label=spec.label,
                required=False,
                widget=forms.TextInput(attrs=attrs),
                help_text=spec.unit,
            )
        for key, message in (warned or {}).items():
            self.fields[f"reason_{key}"] = forms.CharField(
                label=_("变动说明"),
                required=False,
                help_text=message,
                widget=forms.TextInput(attrs={"class": "reason"}),
            )

    def grouped(self) -> list[tuple[str, list[tuple[StatField, forms.BoundField, forms.BoundField | None]]]]:
        """Fields by group (学生与班级, 教师, 校舍与场地, 设备与图书) for the template."""
        sections = TYPE_SECTIONS.get(self.school_type, ())
        out = []
        for group, title in GROUPS.items():
            rows = []
            for spec in STAT_FIELDS:
                if spec.group != group:
                    continue
                if spec.section and spec.section not in sections and not self[spec.key].value():
                    continue  # a section the school lacks is hidden unless it holds a value
                reason = self[f"reason_{spec.key}"] if f"reason_{spec.key}" in self.fields else None
                rows.append((spec, self[spec.key], reason))
            out.append((title, rows))
        return out

    def raw_values(self) -> dict[str, str]:
        return {spec.key: self.data.get(spec.key, "") for spec in STAT_FIELDS}

    def reasons(self) -> dict[str, str]:
        return {spec.key: self.data.get(f"reason_{spec.key}", "") for spec in STAT_FIELDS}


def _choices(labels: dict[str, str]) -> list[tuple[str, Any]]:
    """Choices keyed by the stored value; the Chinese labels (data) are shown translated."""
    return [(key, _(label)) for key, label in labels.items()]  # labels marked in schools.fields


class SchoolForm(forms.Form):
    """Register a school, or record a change from a school year on."""

    code = forms.RegexField(
        label=_("学校标识码"),
        regex=r"^\d{10}$",
        error_messages={"invalid": _("学校标识码应为 10 位数字")},
    )
    name = forms.CharField(label=_("学校名称"), max_length=128)
    school_type = forms.ChoiceField(label=_("学校类型"), choices=_choices(SCHOOL_TYPES))
    parent = forms.ModelChoiceField(label=_("所属学校(教学点填写)"), queryset=School.objects.none(), required=False)
    ownership = forms.ChoiceField(label=_("办学性质"), choices=_choices(OWNERSHIPS))
    county_run = forms.TypedChoiceField(
        label=_("是否县属"), choices=[("1", _("是")), ("0", _("否"))], coerce=lambda v: v == "1"
    )
    area_type = forms.ChoiceField(label=_("城乡分类"), choices=_choices(AREA_TYPES))
    valid_from = forms.IntegerField(label=_("自哪一学年起"), min_value=2000, max_value=2100)
    closed = forms.BooleanField(label=_("自该学年起撤销/停办"), required=False)
    note = forms.CharField(label=_("变更说明"), max_length=200, required=False)

    def __init__(self, *args: Any, district_schools: Any = None, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if district_schools is not None:
            self.fields["parent"].queryset = district_schools  # type: ignore[attr-defined]
            self.fields["parent"].label_from_instance = lambda s: s.code  # type: ignore[attr-defined]
        if editing:
            self.fields["code"].disabled = True
        else:
            del self.fields["closed"]


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
