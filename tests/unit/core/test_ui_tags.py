"""core's `ui` tags show the schools app's labels, registered by schools.apps without core
importing schools (core/labels.py)."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

from schools.fields import display_label


def render(source: str, **context: object) -> str:
    return Template("{% load ui %}" + source).render(Context(context))


def test_tr_shows_a_sectioned_field_label_in_english_as_the_field_catalogue_does() -> None:
    with translation.override("en"):
        shown = render("{{ label|tr }}", label="小学在校生数")
        assert shown == display_label("小学在校生数")
        assert shown != "小学在校生数"  # translated from its parts, not passed through as is
    with translation.override("zh-hans"):
        assert render("{{ label|tr }}", label="小学在校生数") == "小学在校生数"


def test_status_badge_names_each_statistics_status() -> None:
    with translation.override("zh-hans"):
        assert render('{% status_badge "approved" %}') == '<span class="badge ok">已审核</span>'
        assert render('{% status_badge "reopened" %}') == '<span class="badge warn">已退回修改</span>'
        assert render("{% status_badge None %}") == '<span class="badge bad">未填报</span>'
    with translation.override("en"):
        assert "未填报" not in render("{% status_badge None %}")
        assert "已审核" not in render('{% status_badge "approved" %}')
