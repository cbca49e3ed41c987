"""Render a county (or school) report synchronously, for scripts and batch runs.

    manage.py render_report --district 130188 --year 2026 --profile quality-2017 --output report.pdf
    manage.py render_report --district 130188 --year 2026 --profile quality-2017 --school 1301880001 --output s.xlsx

The format follows the output's suffix (.pdf or .xlsx). Same service as the workers
(reports.services.render_document); no job is recorded and no access rule applies (a shell user
can read the database anyway).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports import services
from reports.models import ReportFormat, ReportKind
from reports.selectors import ReportUnavailable
from schools.models import District, School


class Command(BaseCommand):
    help = "Render a county report (or, with --school, a school report) to a PDF or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", required=True, help="区县代码, e.g. 130188")
        parser.add_argument("--year", required=True, type=int, help="school year, e.g. 2026")
        parser.add_argument("--profile", required=True, help="rule profile name, e.g. quality-2017")
        parser.add_argument("--output", required=True, help="file to write (.pdf or .xlsx)")
        parser.add_argument("--school", help="学校标识码: a school report instead of the county report")

    def handle(self, *args: Any, **options: Any) -> None:
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"no district {options['district']}")
        school = None
        if options["school"]:
            school = School.objects.filter(code=options["school"], district=district).first()
            if school is None:
                raise CommandError(f"no school {options['school']} in district {district.code}")
        output = Path(options["output"])
        suffix = output.suffix.lower().lstrip(".")
        if suffix not in ReportFormat.values:
            raise CommandError("--output must end in .pdf or .xlsx")
        started = time.perf_counter()
        try:
            data, pages = services.render_document(
                kind=ReportKind.SCHOOL if school else ReportKind.COUNTY,
                fmt=suffix,
                district=district,
                school=school,
                year=options["year"],
                profile_name=options["profile"],
            )
        except (ReportUnavailable, ValidationError) as error:
            raise CommandError(str(error)) from error
        output.write_bytes(data)
        detail = f", {pages} pages" if pages else ""
        self.stdout.write(f"{output}: {len(data):,} bytes{detail}, {time.perf_counter() - started:.2f} s")
