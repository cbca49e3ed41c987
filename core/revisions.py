"""No silent overwrite: a save that replaces a record two people can edit names the revision it
started from (an optimistic lock).

Each such record (a school-year's statistics, a school plan, an annual progress report, the
county plan, a checklist entry) has a `revision` that every save increments; its form and its
API send back the revision they were opened at. `check` refuses a replacing save that names no
revision (RevisionRequired: HTTP 428, nothing saved) or an older one (StaleRevision: HTTP 409,
with what changed since). A save that creates the record needs none (a form opened before the
record existed sends 0, so a record someone created meanwhile is a conflict too). Server-side
writers that edit no one's copy (the import, which has its own preview fingerprint; the demo
seeding) pass UNCHECKED.

Both are ValidationErrors, so every view that shows a refused save's message shows these too;
`status_of` gives the status a page answers with, `core.api.validation_response` the API's
(409 with `current_revision` and `changes`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

REQUIRED_MESSAGE = gettext_lazy(
    "保存时必须注明所依据的版本号(revision);请刷新页面,在最新数据上修改后再保存。未保存任何内容"
)
STALE_MESSAGE = gettext_lazy("该记录已被他人修改,请查看最新数据后再保存;您的修改未保存")


class _Unchecked(enum.Enum):
    UNCHECKED = "unchecked"


UNCHECKED = _Unchecked.UNCHECKED
Expected = int | None | Literal[_Unchecked.UNCHECKED]


class RevisionRequired(ValidationError):  # noqa: N818 - a refusal the user sees, like ValidationError
    """A save would replace a record but names no revision: refused, nothing saved."""

    def __init__(self) -> None:
        super().__init__(str(REQUIRED_MESSAGE), code="revision_required")


class StaleRevision(ValidationError):  # noqa: N818 - a refusal the user sees, like ValidationError
    """Someone saved the record after the editor opened it: refused, with what changed since.

    `changes` maps a field (its label where the caller has one) to [before, after]."""

    def __init__(self, current_revision: int, changes: Mapping[str, list[Any]]) -> None:
        self.current_revision = current_revision
        self.changes = dict(changes)
        self.summary = str(STALE_MESSAGE)
        detail = [self.summary]
        if self.changes:
            detail.append(_("有变动的项目:%(fields)s") % {"fields": "、".join(str(k) for k in self.changes)})
        super().__init__(detail, code="stale")


def check(*, stored: int | None, expected: Expected, changes: Callable[[int], Mapping[str, list[Any]]]) -> None:
    """Refuse a save over `stored` (None: no record yet) unless it names that revision;
    `changes(expected)` says what changed since the revision the editor named."""
    if stored is None or expected is UNCHECKED:
        return
    if expected is None:
        raise RevisionRequired
    if expected != stored:
        raise StaleRevision(stored, changes(expected))


def parse(value: Any) -> int | None:
    """A revision as posted (a form's hidden field, a JSON number); None when missing or not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = str(value or "").strip()
    return int(text) if text.isdecimal() and text.isascii() else None


def status_of(error: ValidationError) -> int:
    """The HTTP status a refused save answers with."""
    if isinstance(error, RevisionRequired):
        return 428
    if isinstance(error, StaleRevision):
        return 409
    return 400


def differences(posted: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, list[Any]]:
    """For a record without a history of its saves: the fields where the stored record now
    differs from what the editor sent, as [theirs, the editor's]."""
    return {key: [stored.get(key), value] for key, value in posted.items() if stored.get(key) != value}
