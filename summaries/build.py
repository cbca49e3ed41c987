"""A summary put together: the facts read, the figures and data blocks made, the blocks laid out.

`county_draft` / `school_draft` read the facts once (summaries.selectors); `Draft.render(blocks)`
lays out any version's blocks (or the default draft) with them. The document is Chinese
whatever the interface language (an official document, like the reports).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from schools.models import District, School
from summaries import county, school
from summaries.blocks import Block, Element, Rendered, render
from summaries.selectors import CountyFacts, SchoolFacts, county_facts, school_facts

DOCUMENT_LANGUAGE = "zh-hans"


@dataclass
class Draft:
    """What every version of one summary is rendered with: the figures and the data blocks."""

    kind: str  # "county" | "school"
    facts: CountyFacts | SchoolFacts
    figures: dict[str, str]
    data: Callable[[str], Sequence[Element]]
    default_blocks: list[Block]

    @property
    def stamp(self) -> str:
        return self.facts.stamp

    def render(self, blocks: Sequence[Block] | None = None) -> Rendered:
        with translation.override(DOCUMENT_LANGUAGE):
            return render(blocks if blocks is not None else self.default_blocks, self.figures, self.data)

    def data_elements(self, name: str) -> Sequence[Element]:
        """One data block as it shows now (the editor shows each in its place)."""
        with translation.override(DOCUMENT_LANGUAGE):
            return list(self.data(name))

    @property
    def filename_stem(self) -> str:
        facts: Any = self.facts
        who = facts.district.name if self.kind == "county" else facts.name
        noun = "义务教育均衡发展工作总结" if self.kind == "county" else "义务教育均衡发展自评总结"
        return f"{who}{facts.year}—{facts.year + 1}学年{noun}"


def county_draft(district: District, year: int, profile_name: str | None = None) -> Draft:
    """Raises summaries.selectors.NoResult when the year has no stored result."""
    with translation.override(DOCUMENT_LANGUAGE):
        facts = county_facts(district, year, profile_name)
        return Draft("county", facts, county.figures(facts), county.data_blocks(facts), county.default_blocks())


def school_draft(school_obj: School, year: int, profile_name: str | None = None) -> Draft:
    with translation.override(DOCUMENT_LANGUAGE):
        facts = school_facts(school_obj, year, profile_name)
        return Draft("school", facts, school.figures(facts), school.data_blocks(facts), school.default_blocks())
