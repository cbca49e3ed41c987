"""Every user-visible string of every template is in the English catalogue (issue #14, item 7).

A template's words are either inside {% translate %} / {% blocktranslate %} (or a `_("…")` filter
argument), and then their msgid must have an English msgstr, or they are not, and then they may
not be Chinese: a Chinese word outside the catalogue would show in English mode as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOG = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u4e00-\u9fff]")
# A language's own name in the language menu stays in that language.
OWN_NAMES = {"简体中文"}

STRING = r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""
TRANSLATE = re.compile(r"{%\s*(?:translate|trans)\s+" + STRING + r"(?:\s+context\s+" + STRING + r")?[^%]*%}")
UNDERSCORE = re.compile(r"_\(" + STRING + r"\)")
BLOCK = re.compile(
    r"{%\s*(?:blocktranslate|blocktrans)\b([^%]*)%}(.*?){%\s*end(?:blocktranslate|blocktrans)\s*%}", re.S
)
PLURAL = re.compile(r"{%\s*plural\s*%}")
VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
COMMENTS = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)


def templates() -> list[Path]:
    """Every page template; the documents under pdf/ are Chinese in any language (README)."""
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    dirs += [p for p in ROOT.glob("*/templates") if ".venv" not in p.parts]
    return sorted({path for d in dirs for path in d.rglob("*.html") if "pdf" not in path.relative_to(d).parts})


def _block_msgid(options: str, body: str) -> tuple[str | None, list[str]]:
    context = re.search(r"context\s+" + STRING, options)
    parts = PLURAL.split(body)
    ids = [VARIABLE.sub(r"%(\1)s", p.replace("%", "%%")) for p in parts]
    if "trimmed" in options.split():
        ids = [" ".join(line.strip() for line in i.strip().splitlines()) for i in ids]
    return (context.group(1) or context.group(2)) if context else None, ids


def msgids(text: str) -> list[tuple[str | None, str]]:
    found: list[tuple[str | None, str]] = []
    for match in TRANSLATE.finditer(text):
        msgid = match.group(1) if match.group(1) is not None else match.group(2)
        context = match.group(3) if match.group(3) is not None else match.group(4)
        found.append((context, msgid.replace("%", "%%")))  # as Django looks it up
    for match in UNDERSCORE.finditer(text):
        found.append((None, (match.group(1) if match.group(1) is not None else match.group(2)).replace("%", "%%")))
    for match in BLOCK.finditer(text):
        context, ids = _block_msgid(match.group(1), match.group(2))
        found.append((context, ids[0]))
    return found


def outside_the_catalogue(text: str) -> str:
    """The template with comments, translated strings and blocks taken out."""
    text = COMMENTS.sub(" ", text)
    text = BLOCK.sub(" ", text)
    text = TRANSLATE.sub(" ", text)
    return UNDERSCORE.sub(" ", text)


@pytest.fixture(scope="module")
def english() -> dict[tuple[str | None, str], str]:
    po = polib.pofile(str(CATALOG))
    return {(e.msgctxt, e.msgid): e.msgstr or (e.msgstr_plural or {}).get(0, "") for e in po if not e.obsolete}


def test_the_templates_are_found() -> None:
    names = {p.name for p in templates()}
    assert {"base.html", "checklist.html", "history.html", "progress.html"} <= names


def test_every_translated_template_string_has_english(english: dict[tuple[str | None, str], str]) -> None:
    missing = {
        f"{path.relative_to(ROOT)}: {msgid!r}"
        for path in templates()
        for context, msgid in msgids(path.read_text(encoding="utf-8"))
        if CJK.search(msgid) and not english.get((context, msgid), "").strip()
    }
    assert sorted(missing) == []


def test_no_chinese_is_written_outside_the_catalogue() -> None:
    found = {}
    for path in templates():
        rest = outside_the_catalogue(path.read_text(encoding="utf-8"))
        for own in OWN_NAMES:
            rest = rest.replace(own, "")
        lines = [line.strip()[:120] for line in rest.splitlines() if CJK.search(line)]
        if lines:
            found[str(path.relative_to(ROOT))] = lines
    assert found == {}


def test_the_checks_can_fail() -> None:
    sample = '{% translate "新词" %}<p>{% blocktranslate with n=3 %}共 {{ n }} 项{% endblocktranslate %}</p><b>中文</b>'
    assert msgids(sample) == [(None, "新词"), (None, "共 %(n)s 项")]
    assert CJK.search(outside_the_catalogue(sample))
