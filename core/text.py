"""Sentences that remember how they were made (no Django, no other app).

The judgements write Chinese sentences with figures in them ("39 所学校参与判定,3 所未达标").
A `Text` is that sentence — a `str`, so reports, stored problem titles and comparisons use it as
before — which also keeps its template (a msgid of the translation catalogue) and the values put
in it. A page shows it in the reader's language through core.labels.say (the `tr` filter): the
template is translated and filled with the same figures, themselves translated when they are
Texts. `joined` keeps the parts of a list so its separator follows the language too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Text(str):
    """A Chinese sentence made from `template % params`; `context` is its msgctxt, if any."""

    template: str
    params: dict[str, Any]
    context: str | None
    parts: tuple[str, ...] | None

    def __new__(cls, template: str, /, *, context: str | None = None, **params: Any) -> Text:
        self = super().__new__(cls, template % params if params else template)
        self.template, self.params, self.context, self.parts = template, params, context, None
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickled (cached) as the plain sentence
        return (str, (str(self),))


def joined(separator: str, parts: Iterable[str]) -> Text:
    """`separator.join(parts)` that a page can say in another language, part by part."""
    items = tuple(parts)
    text = str.__new__(Text, separator.join(items))
    text.template, text.params, text.context, text.parts = separator, {}, "list separator", items
    return text


def to_json(value: str) -> dict[str, Any]:
    """A Text as JSON (to be stored beside the Chinese sentence); {} for a plain string."""
    if not isinstance(value, Text):
        return {}
    return {
        "template": value.template,
        "context": value.context,
        "params": {k: to_json(v) or v for k, v in value.params.items()},
        "parts": None if value.parts is None else [to_json(p) or p for p in value.parts],
    }


def from_json(data: Any, fallback: str = "") -> str:
    """The Text `to_json` stored (or `fallback` when there is none)."""
    if not isinstance(data, dict) or not isinstance(data.get("template"), str):
        return fallback if not isinstance(data, str) else data
    if data.get("parts") is not None:
        return joined(data["template"], [from_json(p) for p in data["parts"]])
    params = {k: from_json(v) if isinstance(v, dict) else v for k, v in (data.get("params") or {}).items()}
    try:
        return Text(data["template"], context=data.get("context"), **params)
    except (KeyError, TypeError, ValueError):
        return fallback
