"""Resolve a git merge conflict in locale/en/LC_MESSAGES/django.po by keeping both sides' entries.

    .venv/bin/python scripts/po_merge.py

Each conflict block keeps the entries of both sides; an entry on both sides keeps its first
translation that is not empty. The .mo is recompiled. For branches that each added catalogue
entries (see scripts/po_add.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import polib

CATALOG = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"
CONFLICT = re.compile(r"<<<<<<< [^\n]*\n(.*?)=======\n(.*?)>>>>>>> [^\n]*\n", re.S)


def main() -> int:
    path = CATALOG / "django.po"
    text = CONFLICT.sub(lambda m: m.group(1) + "\n" + m.group(2), path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    po = polib.pofile(str(path))
    seen: dict[tuple[str | None, str], polib.POEntry] = {}
    for entry in list(po):
        key = (entry.msgctxt, entry.msgid)
        kept = seen.get(key)
        if kept is None:
            seen[key] = entry
            continue
        if not kept.msgstr and entry.msgstr:
            kept.msgstr = entry.msgstr
        kept.occurrences = sorted(set(kept.occurrences + entry.occurrences))
        po.remove(entry)
    po.save()
    po.save_as_mofile(str(CATALOG / "django.mo"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
