"""The stored form of a balance outcome: what BalanceResult.payload holds (format 1).

A compact, column-wise JSON object, stored as orjson bytes (not jsonb: nothing queries inside it,
and the server then stores it several times faster):

    {"format": 1, "district", "year", "engine", "fingerprint", "profile": Profile.to_dict(),
     "schools": [[code, revision, status], ...],
     "units": {"school", "name", "type", "level" (0 primary / 1 junior), "students", "included",
               "share", "excluded": [code | null], "numerators": [[k values]], "values": [[...]],
               "met", "assessed", "passes": [... | null for units left out],
               "exclusion" / "note": {position: [note code, figures]},
               "merged_from": {position: [codes]}, "gaps": {position: [[indicator, shortfall,
               below floor], ...]}},
     "levels": [{"level", "units", "composite", "composite_threshold", "passes", "notes",
                 "indicators": [{"mean", "sd", "cv", "threshold", "passes", "near", "resource",
                                 "students", "units", "note", "rows": [unit positions],
                                 "weight", "term", "share"}, ...]}, ...]}

`encode_batch` writes the counties of one evaluation (formulas.Evaluation) with array
operations over the whole batch; `decode` reads one back as the typed contract
(indicators.results). Pure: no Django, no database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import orjson

from indicators import formulas
from indicators.formulas import LEVELS, Note, Profile
from indicators.formulas.compliance import COMPLIANCE_NOTES
from indicators.formulas.cv import CV_NOTES
from indicators.results import (
    APPROVED,
    BalanceOutcome,
    GapFigure,
    IndicatorCV,
    LevelOutcome,
    Provenance,
    TermColumns,
    UnitOutcome,
)

#: Version of the stored form; `decode` refuses any other.
FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class CountyMeta:
    """What the stored form records of a county beside its figures."""

    district: str
    year: int
    fingerprint: str
    schools: Mapping[str, tuple[int, str]]  # school code -> (statistics revision, status)


def _num(value: float) -> float | None:
    return None if value != value else float(value)


def _nulls(values: Sequence[float]) -> list[float | None]:
    return [None if v != v else v for v in values]


def _column(values: np.ndarray[Any, Any]) -> list[Any]:
    """Array rows as JSON-safe lists: NaN (not reported) becomes None."""
    out = values.astype(object)
    out[np.isnan(values)] = None
    return list(out.tolist())


def _note(note: Note | None) -> list[Any] | None:
    return None if note is None else [note.code, dict(note.params)]


def _unnote(raw: Sequence[Any] | None) -> Note | None:
    return None if raw is None else Note(raw[0], raw[1])


def encode_batch(
    evaluation: formulas.Evaluation, counties: Mapping[int, CountyMeta]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The stored form of each county of `counties` (position in the batch -> meta), in order.

    The columns of the whole batch are made once and sliced per county, so the cost per county
    is a few list slices.
    """
    profile = evaluation.profile
    table = evaluation.units
    records = table.table.records
    index = evaluation.index
    k = len(profile.indicators)
    n = len(table)
    judgement = evaluation.judgement
    judged = evaluation.judged.tolist()

    # Per unit, the whole batch.
    school_rows = table.school.tolist()
    codes = [records[r].school_code for r in school_rows]
    names = [records[r].school_name for r in school_rows]
    kinds = [records[r].school_type for r in school_rows]
    # Numeric columns stay arrays: `dumps` writes them (NaN as null) without Python objects.
    levels_of = table.level
    students = table.students.astype(np.int64)
    included = table.included
    share = table.share
    numerators = np.ascontiguousarray(evaluation.numerators)  # row slices then stay contiguous
    values = np.ascontiguousarray(evaluation.values)
    met: list[int | None] = [None] * n
    assessed: list[int | None] = [None] * n
    passes: list[bool | None] = [None] * n
    notes: dict[int, list[Any]] = {}
    for unit, met_count, assessed_count, outcome, note in zip(
        judged,
        judgement.met_count.tolist(),
        judgement.assessed_count.tolist(),
        judgement.passes.tolist(),
        judgement.note.tolist(),
        strict=True,
    ):
        met[unit], assessed[unit] = met_count, assessed_count
        passes[unit] = None if outcome < 0 else outcome == 1
        if note:
            code = COMPLIANCE_NOTES[note]
            figures = {"assessed": assessed_count, "min_met": profile.school_rule.min_met}
            notes[unit] = [code, figures if code == "fewer_assessed" else {}]
    gaps: dict[int, list[list[Any]]] = {}
    position, column = np.nonzero(judgement.assessed & ~judgement.met)
    for unit, j, short, below in zip(
        evaluation.judged[position].tolist(),
        column.tolist(),
        _nulls(judgement.shortfall[position, column].tolist()),
        judgement.below_floor[position, column].tolist(),
        strict=True,
    ):
        gaps.setdefault(unit, []).append([j, short, below])

    # Per group (county, level) and indicator; each CV's points sorted by group.
    groups = 2 * table.table.counties
    edges = np.arange(groups + 1)
    cv_columns = []
    for j in range(k):
        cv = evaluation.cv[j]
        points = index.points[j]
        order = np.argsort(2 * table.county[points] + table.level[points], kind="stable")
        sorted_groups = (2 * table.county[points] + table.level[points])[order]
        cv_columns.append(
            {
                "bounds": np.searchsorted(sorted_groups, edges).tolist(),
                "rows": points[order],
                "weight": cv.weight[order],
                "term": cv.term[order],
                "share": cv.share[order],
                "mean": _nulls(cv.mean.tolist()),
                "sd": _nulls(cv.sd.tolist()),
                "cv": _nulls(cv.cv.tolist()),
                "resource": cv.total_resource.tolist(),
                "students": cv.total_students.astype(np.int64).tolist(),
                "units": cv.units.tolist(),
                "note": [_note(note) for note in CV_NOTES],
                "note_code": cv.note.tolist(),
            }
        )
    thresholds = [_nulls(row) for row in evaluation.threshold.tolist()]
    verdicts = evaluation.passes.tolist()
    near = evaluation.near.tolist()
    rules = profile.to_dict()

    for county, meta in counties.items():
        span = index.unit_range(county)
        first, last = span.start, span.stop
        levels = []
        for level_index, level in enumerate(LEVELS):
            g = 2 * county + level_index
            verdict = evaluation.levels[g]
            indicators = []
            for j, c in enumerate(cv_columns):
                lo, hi = c["bounds"][g], c["bounds"][g + 1]
                passed = verdicts[g][j]
                indicators.append(
                    {
                        "mean": c["mean"][g],
                        "sd": c["sd"][g],
                        "cv": c["cv"][g],
                        "threshold": thresholds[g][j],
                        "passes": None if passed < 0 else passed == 1,
                        "near": near[g][j],
                        "resource": c["resource"][g],
                        "students": c["students"][g],
                        "units": c["units"][g],
                        "note": c["note"][c["note_code"][g]],
                        "rows": c["rows"][lo:hi] - first,
                        "weight": c["weight"][lo:hi],
                        "term": c["term"][lo:hi],
                        "share": c["share"][lo:hi],
                    }
                )
            levels.append(
                {
                    "level": level,
                    "units": verdict.units,
                    "composite": verdict.composite,
                    "composite_threshold": verdict.composite_threshold,
                    "passes": verdict.passes,
                    "notes": [_note(note) for note in verdict.notes],
                    "indicators": indicators,
                }
            )
        yield (
            county,
            {
                "format": FORMAT,
                "district": meta.district,
                "year": meta.year,
                "engine": formulas.ENGINE_VERSION,
                "fingerprint": meta.fingerprint,
                "profile": rules,
                "schools": [[code, revision, status] for code, (revision, status) in meta.schools.items()],
                "units": {
                    "school": codes[first:last],
                    "name": names[first:last],
                    "type": kinds[first:last],
                    "level": levels_of[first:last],
                    "students": students[first:last],
                    "included": included[first:last],
                    "share": share[first:last],
                    "excluded": table.excluded_code[first:last],
                    "numerators": numerators[first:last],
                    "values": values[first:last],
                    "met": met[first:last],
                    "assessed": assessed[first:last],
                    "passes": passes[first:last],
                    "exclusion": {
                        str(u - first): _note(table.exclusion[u]) for u in span if table.exclusion[u] is not None
                    },
                    "note": {str(u - first): notes[u] for u in span if u in notes},
                    "merged_from": {str(u - first): c for u, c in table.merged_from.items() if first <= u < last},
                    "gaps": {str(u - first): gaps[u] for u in span if u in gaps},
                },
                "levels": levels,
            },
        )


def encode(
    evaluation: formulas.Evaluation,
    county: int,
    *,
    district: str,
    year: int,
    fingerprint: str,
    schools: Mapping[str, tuple[int, str]],
) -> dict[str, Any]:
    """County `county` of an evaluation in the stored form, as plain JSON data."""
    [(_county, stored)] = encode_batch(evaluation, {county: CountyMeta(district, year, fingerprint, schools)})
    plain: dict[str, Any] = orjson.loads(dumps(stored))
    return plain


def dumps(stored: Mapping[str, Any]) -> bytes:
    """The stored form as bytes; arrays in it are written as lists (NaN as null)."""
    return orjson.dumps(stored, option=orjson.OPT_SERIALIZE_NUMPY)


def decode(data: bytes | Mapping[str, Any]) -> BalanceOutcome:
    """A stored outcome (bytes from `dumps`, or the dict from `encode`) as the typed contract."""
    stored: Mapping[str, Any] = orjson.loads(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    if stored.get("format") != FORMAT:
        raise ValueError(f"unknown stored result format {stored.get('format')!r}")
    profile = _profile(orjson.dumps(stored["profile"]))
    rules = profile.indicators
    keys = [rule.key for rule in rules]
    schools = {code: Provenance(revision, status) for code, revision, status in stored["schools"]}
    u = stored["units"]
    exclusion, merged, notes, gaps = u["exclusion"], u["merged_from"], u["note"], u["gaps"]
    units: list[UnitOutcome] = []
    for i, (code, level_index, numerators, values) in enumerate(
        zip(u["school"], u["level"], u["numerators"], u["values"], strict=True)
    ):
        level = LEVELS[level_index]
        key = str(i)
        unit_gaps = {}
        for j, shortfall, below in gaps.get(key, ()):
            rule = rules[j]
            unit_gaps[rule.key] = GapFigure(rule, float(rule.standards.get(level) or 0.0), values[j], shortfall, below)
        units.append(
            UnitOutcome(
                school_code=code,
                school_name=u["name"][i],
                school_type=u["type"][i],
                level=level,
                students=u["students"][i],
                included=u["included"][i],
                excluded_code=u["excluded"][i],
                exclusion=_unnote(exclusion.get(key)),
                facility_share=u["share"][i],
                merged_from=tuple(merged.get(key, ())),
                numerators=dict(zip(keys, numerators, strict=True)),
                values=dict(zip(keys, values, strict=True)),
                met=u["met"][i],
                assessed=u["assessed"][i],
                passes=u["passes"][i],
                gaps=unit_gaps,
                note=_unnote(notes.get(key)),
                approved=schools.get(code, Provenance(0, "")).status == APPROVED,
            )
        )
    levels: dict[str, LevelOutcome] = {}
    for entry in stored["levels"]:
        level = entry["level"]
        indicators: dict[str, IndicatorCV] = {}
        for rule, ind in zip(rules, entry["indicators"], strict=True):
            indicators[rule.key] = IndicatorCV(
                rule=rule,
                level=level,
                mean=ind["mean"],
                sd=ind["sd"],
                cv=ind["cv"],
                threshold=ind["threshold"],
                passes=ind["passes"],
                near_threshold=ind["near"],
                total_resource=ind["resource"],
                total_students=ind["students"],
                units=ind["units"],
                note=_unnote(ind["note"]),
                points=TermColumns(units, ind["rows"], ind["weight"], ind["term"], ind["share"]),
            )
        levels[level] = LevelOutcome(
            level=level,
            units=entry["units"],
            indicators=indicators,
            composite=entry["composite"],
            composite_threshold=entry["composite_threshold"],
            passes=entry["passes"],
            notes=tuple(n for n in (_unnote(raw) for raw in entry["notes"]) if n is not None),
        )
    return BalanceOutcome(
        district=stored["district"],
        year=stored["year"],
        profile=profile,
        fingerprint=stored["fingerprint"],
        engine_version=stored["engine"],
        schools=schools,
        levels=levels,
        units=tuple(units),
    )


_PROFILES: dict[bytes, Profile] = {}


def _profile(canonical: bytes) -> Profile:
    """Parsed rules, shared by every outcome stored under the same rules."""
    profile = _PROFILES.get(canonical)
    if profile is None:
        profile = _PROFILES[canonical] = Profile.from_dict(orjson.loads(canonical))
    return profile


def outcome_of(
    evaluation: formulas.Evaluation,
    county: int = 0,
    *,
    district: str = "",
    year: int = 0,
    schools: Mapping[str, tuple[int, str]] | None = None,
) -> BalanceOutcome:
    """An evaluation not stored (a scenario, a test) read through the same contract."""
    return decode(encode(evaluation, county, district=district, year=year, fingerprint="", schools=dict(schools or {})))
