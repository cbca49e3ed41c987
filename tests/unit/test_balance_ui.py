"""The balance page's Python-built rows give the markup of the template loops they replace, with
the same escaping and number formats (None, met or not, excluded units, HTML in names)."""

from __future__ import annotations

from types import SimpleNamespace

from django.template import Context, Template

from indicators.presentation import Cell
from indicators.results import Term

TERM_LOOP = (
    '{% load ui %}{% for t in terms %}<tr><td>{{ t.school_name }}</td><td class="num">{{ t.students|num }}</td>'
    '<td class="num">{{ t.value|num:4 }}</td><td class="num">{{ t.weight|num:4 }}</td>'
    '<td class="num">{{ t.term|num:4 }}</td><td class="num">{{ t.share|pct:1 }}</td></tr>{% endfor %}'
)
CELL_LOOP = (
    '{% load ui %}{% for c in u.cells %}<td class="num">{% if c.met is True %}<span class="light ok">●</span>'
    '{% elif c.met is False %}<span class="light bad">●</span>{% endif %} {{ c.text }}\n'
    '        {% if c.standard is not None and u.unit.included %}<details class="calc"><summary class="unit">'
    '≥ {{ c.standard|num }}</summary><span class="unit">{{ c.formula }}</span></details>{% endif %}</td>{% endfor %}'
)


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


def test_term_rows_match_the_template_loop() -> None:
    terms = [
        Term("1", "<城关>&一小", "primary", 1234, 4.56789, 0.123456, 0.000123, 0.4567),
        Term("2", '柳林"小学"', "primary", 0, 0.0, 0.0, 0.0, 0.0),
        Term("3", "第三小学", "junior", 12, 1234567.891, 1.0, 12.5, 1.0),
    ]
    tag = render("{% load balance_ui %}{% term_rows terms %}", terms=terms)
    assert tag == render(TERM_LOOP, terms=terms)
    assert "&lt;城关&gt;&amp;一小" in tag


def test_unit_cells_match_the_template_loop() -> None:
    cells = [
        Cell("a", 5.0, 4.2, True, None, "100 × 12 ÷ 310", "5"),
        Cell("b", 1.0, 2.0, False, None, "<x> & y", "1 <差 1>"),
        Cell("c", None, None, None, None, "未填报 ÷ 3", "—"),
        Cell("d", 7.5, 1234.5, None, None, "f", "7.5"),
    ]
    shown = {}
    for included in (True, False):
        row = SimpleNamespace(cells=cells, unit=SimpleNamespace(included=included))
        shown[included] = render("{% load balance_ui %}{% unit_cells u %}", u=row)
        assert shown[included] == render(CELL_LOOP, u=row)
    assert "&lt;x&gt; &amp; y" in shown[True] and "1 &lt;差 1&gt;" in shown[True]
    assert "details" not in shown[False]  # an excluded unit shows no standard
