"""Unit tests for the English catalog (locale/en): msgids are the Chinese source strings.

Regenerate after changing texts (gettext is a developer tool, not needed here or in CI):
    .venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=tests --ignore=bench
    .venv/bin/python manage.py compilemessages --ignore=.venv
"""

from __future__ import annotations

import re

import polib
import pytest
from django.conf import settings
from django.utils import translation

from indicators.presentation import LEVEL_LABELS, SHORT_LABELS
from schools.fields import AREA_TYPES, GROUPS, OWNERSHIPS, SCHOOL_TYPES, STAT_FIELDS, display_label, section_label

CATALOG = settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0-9.]*[sdfr]|%%")
CJK = re.compile(r"[\u4e00-\u9fff]")


def english(text: str) -> str:
    with translation.override("en"):
        return translation.gettext(text)


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(CATALOG / "django.po"))


def test_the_compiled_catalog_exists() -> None:
    assert (CATALOG / "django.po").is_file()
    assert (CATALOG / "django.mo").is_file()
    assert ("en", "English") in settings.LANGUAGES


@pytest.mark.parametrize(
    ("chinese", "expected"),
    [
        ("数据未保存,请修改标出的项目", "Data not saved: please correct the marked fields"),
        ("退出", "Log out"),
        ("登录", "Log in"),
        ("差异系数", "Coefficient of variation (CV)"),
        ("校际差异系数", "Inter-school CV"),
        ("督学", "Inspector"),
        ("达标", "Meets the standard"),
        ("未达标", "Below standard"),
    ],
)
def test_key_strings_are_english(chinese: str, expected: str) -> None:
    assert english(chinese) == expected


def test_a_validation_message_keeps_its_placeholders() -> None:
    msgid = "%(field)s(%(value)s)不能超过%(total_label)s(%(total)s)"
    text = english(msgid)
    assert text != msgid
    assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid))
    values = {"field": "A", "value": 45, "total_label": "B", "total": 38}
    assert text % values == "A (45) must not exceed B (38)"


def test_the_default_language_stays_chinese() -> None:
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("退出") == "退出"
        assert display_label("小学高于规定学历专任教师数") == "小学高于规定学历专任教师数"


def test_data_labels_are_translated_only_for_display() -> None:
    # The labels stay Chinese as data (import headers, stored choices) ...
    assert SCHOOL_TYPES["nine_year"] == "九年一贯制学校"
    assert STAT_FIELDS[0].label == "小学在校生数"
    # ... and are shown in English through display_label / the `tr` template filter.
    with translation.override("en"):
        assert display_label("九年一贯制学校") == "Nine-year school"
        assert display_label("小学在校生数") == "Enrolled students (primary)"
        assert section_label("junior") == "junior secondary"


def test_every_data_label_has_an_english_translation() -> None:
    labels = [
        *SCHOOL_TYPES.values(),
        *OWNERSHIPS.values(),
        *AREA_TYPES.values(),
        *GROUPS.values(),
        *LEVEL_LABELS.values(),
        *SHORT_LABELS.values(),
        *(f.label for f in STAT_FIELDS),
        *(f.unit for f in STAT_FIELDS),
    ]
    with translation.override("en"):
        untranslated = [label for label in labels if CJK.search(display_label(label))]
    assert untranslated == []


def test_every_msgid_has_an_english_msgstr(po: polib.POFile) -> None:
    assert len(po) > 0
    missing = [e.msgid for e in po if not e.obsolete and not e.translated()]
    assert missing == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    for entry in po:
        strings = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for msgstr in strings:
            assert msgstr.strip(), entry.msgid
            assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid


def test_the_compiled_catalog_matches_the_po_file(po: polib.POFile) -> None:
    compiled = {(e.msgctxt, e.msgid): e for e in polib.mofile(str(CATALOG / "django.mo"))}
    stale = [
        e.msgid
        for e in po.translated_entries()
        if (e.msgctxt, e.msgid) not in compiled or compiled[(e.msgctxt, e.msgid)].msgstr != e.msgstr
    ]
    assert stale == [], "run `manage.py compilemessages --ignore=.venv`"
