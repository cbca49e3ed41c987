"""Template helpers of the balance page."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core.templatetags.ui import num, pct
from indicators.presentation import Cell, UnitRow
from indicators.results import Term

register = template.Library()

TERM_ROW = (
    '<tr><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
    '<td class="num">{}</td><td class="num">{}</td></tr>'
)


@register.simple_tag
def term_rows(terms: Iterable[Term]) -> SafeString:
    """The rows of a CV's calculation table, one per school: the markup of a template loop with the
    same filters (num, pct), built in Python. A county page has a row per school for every
    indicator and level (thousands), which the template engine drew at about 40 % of the page's
    first rendering."""
    return format_html_join(
        "",
        TERM_ROW,
        (
            (t.school_name, num(t.students), num(t.value, 4), num(t.weight, 4), num(t.term, 4), pct(t.share, 1))
            for t in terms
        ),
    )


@register.simple_tag
def unit_cells(row: UnitRow) -> SafeString:
    """A unit's value cells against each standard (one per indicator, every unit of the county):
    the markup of the template loop it replaces, built in Python."""
    return format_html_join("", "{}", ((_cell(cell, row.unit.included),) for cell in row.cells))


def _cell(cell: Cell, included: bool) -> SafeString:
    light = ""
    if cell.met is True:
        light = mark_safe('<span class="light ok">●</span>')
    elif cell.met is False:
        light = mark_safe('<span class="light bad">●</span>')
    calc = ""
    if cell.standard is not None and included:
        calc = format_html(
            '<details class="calc"><summary class="unit">≥ {}</summary><span class="unit">{}</span></details>',
            num(cell.standard),
            cell.formula,
        )
    return format_html('<td class="num">{} {}\n        {}</td>', light, cell.text, calc)
