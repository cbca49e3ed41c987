"""python manage.py recompute_balance [--district CODE] [--year YEAR] [--force]

Runs the same service as the Celery task and the nightly job, synchronously.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indicators.services import balance_recompute_and_follow
from schools.models import AnnualStatistics, District


class Command(BaseCommand):
    help = "重新计算均衡结果 / Recompute balance results"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", help="区县代码;省略则全部区县")
        parser.add_argument("--year", type=int, help="学年;省略则所有有数据的学年")
        parser.add_argument("--force", action="store_true", help="输入未变也重新计算")

    def handle(self, *args: Any, **options: Any) -> None:
        districts = District.objects.all()
        if options["district"]:
            districts = districts.filter(code=options["district"])
            if not districts.exists():
                raise CommandError(f"没有找到区县 / District not found: {options['district']}")
        stats = AnnualStatistics.objects.filter(school__district__in=districts)
        years = [options["year"]] if options["year"] else sorted(set(stats.values_list("year", flat=True)))
        district_list = list(districts)
        for year in years:
            started = time.perf_counter()
            results = balance_recompute_and_follow(districts=district_list, year=year, force=options["force"])
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"{year}: {len(district_list)} 个区县,新结果 {len(results)} 份,用时 {elapsed:.2f} s"
                f" / {len(results)} new results"
            )
