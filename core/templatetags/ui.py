"""Small display helpers shared by all pages (numbers are formatted here, once)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core import labels

register = template.Library()


@register.filter
def num(value: Any, places: int | None = None) -> str:
    """A stored number for display: '—' for not reported, no trailing zeros, thousands commas."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal | float | int):
        number = float(value)
        if places is not None:
            return f"{number:,.{int(places)}f}"
        if number == int(number):
            return f"{int(number):,}"
        return f"{number:,.2f}".rstrip("0").rstrip(".")
    return str(value)


@register.filter
def pct(value: Any, places: int = 0) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def tr(value: Any) -> Any:
    """A Chinese data label (field, unit, group, school type, level …) in the active language.

    For labels that are data (import headers, stored choices, rule documents): they stay Chinese
    where they are stored and are translated only here, on the page.
    """
    if not isinstance(value, str):
        return value
    return labels.say(value)


STATUS_CLASS = {"draft": "muted", "submitted": "info", "approved": "ok", "reopened": "warn", "missing": "bad"}


@register.simple_tag
def status_badge(status: str | None, label: str | None = None) -> SafeString:
    key = status or "missing"
    text = label or labels.status_label(key) or _("未填报")
    return format_html('<span class="badge {}">{}</span>', STATUS_CLASS.get(key, "muted"), text)


@register.simple_tag
def verdict(passes: bool | None) -> SafeString:
    """Traffic light for a verdict: pass / fail / cannot be judged."""
    if passes is True:
        return format_html('<span class="verdict"><span class="light ok">●</span> {}</span>', _("达标"))
    if passes is False:
        return format_html('<span class="verdict"><span class="light bad">●</span> {}</span>', _("未达标"))
    return format_html('<span class="verdict"><span class="light muted">●</span> {}</span>', _("无法判定"))
