"""Delete the files of superseded reports (what the daily Celery beat task does).

    manage.py prune_reports [--days 30]

The newest report of each kind, format, district, school, year and profile always keeps its
file; see reports.services.reports_prune.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports import services


class Command(BaseCommand):
    help = "Delete the files of superseded reports older than --days (default REPORT_KEEP_DAYS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=settings.REPORT_KEEP_DAYS, help="keep superseded files this long"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0:
            raise CommandError("--days must be 0 or more")
        result = services.reports_prune(keep_days=options["days"])
        self.stdout.write(
            f"{result.jobs_cleared} superseded reports cleared, {result.files_deleted} files deleted,"
            f" {result.bytes_freed:,} bytes freed"
        )
