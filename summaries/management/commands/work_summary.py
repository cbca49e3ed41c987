"""python manage.py work_summary --district CODE --year YEAR --output FILE.docx [--school CODE]

Writes a county's annual work summary (or, with --school, a school's self-assessment summary)
as DOCX, or as PDF when FILE ends in .pdf: the newest saved version with today's figures, or
the draft drafted from the data when nothing has been saved. The same as the page's download.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schools.models import District, School
from summaries import selectors
from summaries.build import county_draft, school_draft
from summaries.files import render_file


class Command(BaseCommand):
    help = "写出区县年度工作总结或学校自评总结 (DOCX/PDF) / Write a work summary as DOCX or PDF"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", required=True, help="区县代码 (6 digits)")
        parser.add_argument("--year", type=int, required=True, help="学年 (2025 = 2025—2026学年)")
        parser.add_argument("--output", required=True, help="FILE.docx or FILE.pdf")
        parser.add_argument("--school", help="学校标识码: the school's self-assessment summary")
        parser.add_argument("--profile", help="rule profile name (default: the county's own)")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("docx", "pdf"):
            raise CommandError("--output 应以 .docx 或 .pdf 结尾 / --output must end in .docx or .pdf")
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"没有区县 {options['district']} / No district {options['district']}")
        year = options["year"]
        try:
            if options.get("school"):
                school = School.objects.filter(code=options["school"], district=district).first()
                if school is None:
                    raise CommandError(f"{district.name}没有学校 {options['school']} / No such school in this district")
                summary = selectors.school_summary(school, year)
                draft = school_draft(
                    school, year, options.get("profile") or (summary.profile_name if summary else None)
                )
            else:
                summary = selectors.county_summary(district, year)
                draft = county_draft(
                    district, year, options.get("profile") or (summary.profile_name if summary else None)
                )
        except selectors.NoResult as missing:
            raise CommandError(str(missing)) from missing
        version = selectors.version_of(summary, None)
        data = render_file(draft, version, fmt)
        output.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: a reader never sees half a file.
        handle, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(partial).replace(output)
        which = f"第 {version.number} 版" if version is not None else "初稿"
        self.stdout.write(self.style.SUCCESS(f"{draft.filename_stem}({which})→ {output} ({len(data):,} bytes)"))
