"""Add or update English translations in locale/en/LC_MESSAGES/django.po and recompile the .mo.

    .venv/bin/python scripts/po_add.py '中文' 'English' ['中文2' 'English2' ...]

For a few strings between full `makemessages` runs (which need GNU gettext; see
tests/unit/test_translations.py): keeps the catalogue's other entries as they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

CATALOG = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"


def main(pairs: list[str]) -> int:
    if len(pairs) % 2:
        print("give pairs: 中文 English ...", file=sys.stderr)
        return 2
    po = polib.pofile(str(CATALOG / "django.po"))
    for msgid, msgstr in zip(pairs[::2], pairs[1::2], strict=True):
        entry = po.find(msgid)
        if entry is None:
            flags = ["python-format"] if "%(" in msgid else []
            po.append(polib.POEntry(msgid=msgid, msgstr=msgstr, flags=flags))
        else:
            entry.msgstr = msgstr
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()
    po.save_as_mofile(str(CATALOG / "django.mo"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
