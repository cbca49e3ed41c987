"""python manage.py balance_summary --district CODE --year YEAR --profile NAME --json

Prints the stored result (computed once by the balance engine) as one JSON document with the
data dictionary's indicator keys, values at full precision. If the stored result is missing or
older than the data, it is recomputed first, so the output always matches the data.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indicators import results, selectors
from indicators.services import balance_recompute
from schools.models import District


class Command(BaseCommand):
    help = "输出区县均衡计算结果(JSON)/ Print a district's balance summary"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", required=True)
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--profile", required=True, help="quality-2017 | basic-2012 | …")
        parser.add_argument("--json", action="store_true", help="输出 JSON(默认)")
        parser.add_argument("--full", action="store_true", help="输出含计算过程的完整文档")

    def handle(self, *args: Any, **options: Any) -> None:
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"没有找到区县 / District not found: {options['district']}")
        profiles = {p.name for p in selectors.profiles_for_district(district)}
        if options["profile"] not in profiles:
            choices = ", ".join(sorted(profiles))
            name = options["profile"]
            raise CommandError(f"该区县未采用规则 {name} / Unknown profile; 可选 / choose from: {choices}")
        # Idempotent: keeps the stored result when its inputs are unchanged.
        balance_recompute(districts=[district], year=options["year"])
        result = selectors.balance_result_get(district=district, year=options["year"], profile_name=options["profile"])
        if result is None:
            raise CommandError("没有计算结果 / No result")
        document = results.to_json(result.outcome, full=options["full"])
        self.stdout.write(json.dumps(document, ensure_ascii=False, indent=1))
