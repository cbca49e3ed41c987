"""Stored results move from a jsonb document to the compact stored form (indicators.results).

Each existing document is converted as it is (its figures are kept, not recomputed): the
column-wise form of format 1, with notes that have a code when their wording is one of the
engine's fixed texts and are kept as worded otherwise ("stored_text"). Going back is not
supported: the old documents are not rebuilt.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db import migrations, models

LEVELS = ("primary", "junior")
# The engine's fixed texts when these documents were written, by note code.
FIXED = {
    "民办学校,按规则不计入": "private",
    "非县属学校(省市直属、高校附属或企业办学),按规则不计入": "not_county_run",
    "特殊教育学校,不计入资源配置差异系数": "special",
    "职业初中,不计入资源配置差异系数": "vocational",
    "小学教学点,按规则不计入": "teaching_point_excluded",
    "在校生为 0,不参与计算": "no_students",
    "在校生未填报,不参与计算": "students_unreported",
    "在校生为 0,无法评估": "cannot_judge_no_students",
    "本规则未设学校达标标准": "no_school_standards",
    "没有参与计算的学校": "cv_empty",
    "均值为 0,差异系数无定义": "cv_zero_mean",
    "只有一所学校": "cv_single",
    "该学段没有参与计算的学校": "level_empty",
    "本学段未设综合差异系数标准": "no_composite_standard",
    "有指标差异系数无定义,无法计算综合差异系数": "composite_undefined",
    "本学段未设差异系数标准": "no_cv_standard",
}


def note(text: str | None) -> list[Any] | None:
    if not text:
        return None
    code = FIXED.get(text)
    return [code, {}] if code else ["stored_text", {"text": text}]


def convert(doc: dict[str, Any]) -> dict[str, Any]:
    rules = doc["rules"]
    indicators = rules["indicators"]
    subtract = rules.get("subtract_indoor_sports", False)
    inputs = doc.get("inputs") or {}
    units = doc["units"]
    position = {(u["school_code"], u["level"]): i for i, u in enumerate(units)}

    def numerators(unit: dict[str, Any]) -> list[float | None]:
        totals = unit.get("totals") or {}
        out = []
        for rule in indicators:
            total = totals.get(rule["numerator"])
            indoor = totals.get("indoor_sports_area")
            if subtract and rule["numerator"] == "teaching_area" and total is not None and indoor is not None:
                total -= indoor
            out.append(total)
        return out

    keys = [rule["key"] for rule in indicators]
    column: dict[str, Any] = {
        "school": [u["school_code"] for u in units],
        "name": [u.get("school_name", u["school_code"]) for u in units],
        "type": [u.get("school_type", "") for u in units],
        "level": [LEVELS.index(u["level"]) for u in units],
        "students": [u["students"] for u in units],
        "included": [u["included"] for u in units],
        "share": [u.get("facility_share", 1.0) for u in units],
        "excluded": [u.get("excluded_code") for u in units],
        "exclusion": {str(i): note(u.get("excluded_reason")) for i, u in enumerate(units) if u.get("excluded_reason")},
        "merged_from": {str(i): u["merged_from"] for i, u in enumerate(units) if u.get("merged_from")},
        "numerators": [numerators(u) for u in units],
        "values": [[u["values"].get(k) for k in keys] for u in units],
        "met": [u["met"] if u["included"] else None for u in units],
        "assessed": [u.get("assessed") if u["included"] else None for u in units],
        "passes": [u["passes"] if u["included"] else None for u in units],
        "note": {str(i): note(u["notes"][0]) for i, u in enumerate(units) if u.get("notes")},
        "gaps": {
            str(i): [
                [keys.index(k), g.get("shortfall"), k in (u.get("below_floor") or [])]
                for k, g in u["gaps"].items()
                if k in keys
            ]
            for i, u in enumerate(units)
            if u.get("gaps")
        },
    }
    levels = []
    for level in LEVELS:
        data = doc["levels"].get(level) or {"units": 0, "indicators": {}, "composite": None, "passes": None}
        out = []
        for key in keys:
            ind = data["indicators"].get(key) or {}
            terms = ind.get("terms") or []
            out.append(
                {
                    "mean": ind.get("mean"),
                    "sd": ind.get("sd"),
                    "cv": ind.get("cv"),
                    "threshold": ind.get("threshold"),
                    "passes": ind.get("passes"),
                    "near": bool(ind.get("near_threshold")),
                    "resource": ind.get("total_resource") or 0.0,
                    "students": ind.get("total_students") or 0,
                    "units": ind.get("units") or 0,
                    "note": note(ind.get("note")),
                    "rows": [position[(t["school_code"], level)] for t in terms],
                    "weight": [t["weight"] for t in terms],
                    "term": [t["term"] for t in terms],
                    "share": [t["share"] for t in terms],
                }
            )
        levels.append(
            {
                "level": level,
                "units": data.get("units", 0),
                "composite": data.get("composite"),
                "composite_threshold": data.get("composite_threshold"),
                "passes": data.get("passes"),
                "notes": [note(n) for n in data.get("notes") or []],
                "indicators": out,
            }
        )
    return {
        "format": 1,
        "district": doc["district"],
        "year": doc["year"],
        "engine": inputs.get("engine_version", ""),
        "fingerprint": inputs.get("fingerprint", ""),
        "profile": rules,
        "schools": [[code, p["revision"], p["status"]] for code, p in (inputs.get("schools") or {}).items()],
        "units": column,
        "levels": levels,
    }


def forwards(apps: Any, schema_editor: Any) -> None:
    BalanceResult = apps.get_model("indicators", "BalanceResult")
    for row in BalanceResult.objects.only("pk", "document").iterator(chunk_size=200):
        row.payload = orjson.dumps(convert(row.document))
        row.save(update_fields=["payload"])


def lz4(apps: Any, schema_editor: Any) -> None:
    """Store payloads compressed with lz4 where the server has it (PostgreSQL 14+): several times
    cheaper to compress than the default pglz, which the server would otherwise spend its time on."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute("ALTER TABLE indicators_balanceresult ALTER COLUMN payload SET COMPRESSION lz4")


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_default_profiles")]

    operations = [
        migrations.AddField(
            model_name="balanceresult", name="payload", field=models.BinaryField(default=b""), preserve_default=False
        ),
        migrations.RunPython(forwards, elidable=True),
        migrations.RemoveField(model_name="balanceresult", name="document"),
        migrations.RunPython(lz4, migrations.RunPython.noop, elidable=True),
    ]
