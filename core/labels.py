"""Data labels the shared template tags show, in the words of the app that owns them.

core's `ui` tags show labels that belong to domain apps: a statistics field or school type (the
`tr` filter) and a statistics workflow status (`status_badge`). core sits below those apps and
cannot import them, so the owner registers its labels from its AppConfig.ready()
(schools.apps.SchoolsConfig). Until something is registered, a label is passed through gettext
and a status shows as not reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext, pgettext

_display_label: Callable[[str], str] = gettext
_status_labels: Mapping[str, Any] = {}


def register(*, display_label: Callable[[str], str], status_labels: Mapping[str, Any]) -> None:
    """The field catalogue's label translation, and each status's label (lazy strings welcome)."""
    global _display_label, _status_labels  # set once, at start-up
    _display_label = display_label
    _status_labels = dict(status_labels)


def display_label(label: str) -> str:
    """A Chinese data label (field, unit, group, school type, level …) in the active language."""
    return _display_label(label)


def status_label(status: str) -> str | None:
    """The label of a workflow status, or None for a status nobody registered."""
    label = _status_labels.get(status)
    return None if label is None else str(label)


def say(value: Any) -> Any:
    """A sentence in the active language: a Text (core.text: a template and its
    values) is translated and filled again with its values, each said the same way; a list
    joined with `joined` gets the language's separator; a plain string is a data label
    (display_label); anything else is returned as it is."""
    template = getattr(value, "template", None)
    if not isinstance(value, str) or not isinstance(template, str):
        return display_label(value) if isinstance(value, str) else value
    context = getattr(value, "context", None)
    parts = getattr(value, "parts", None)
    if parts is not None:
        return pgettext(context or "list separator", template).join(str(say(p)) for p in parts)
    translated = pgettext(context, template) if context else gettext(template)
    params = getattr(value, "params", None) or {}
    return translated % {k: say(v) for k, v in params.items()} if params else translated
