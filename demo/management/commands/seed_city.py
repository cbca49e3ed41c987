"""python manage.py seed_city [--seed N]: the demo county, a second county and the city office
that follows both (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.city import CITY_USER, seed_city
from demo.county import DEMO_PASSWORD


class Command(BaseCommand):
    help = "生成两个演示区县和市级督导室账号 / Build two demo counties and the city office's login"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        counties = seed_city(seed=options["seed"])
        self.stdout.write(self.style.SUCCESS("演示区县已就绪 / Demo counties ready: " + "、".join(map(str, counties))))
        self.stdout.write(f"  {CITY_USER[0]} / {DEMO_PASSWORD}  (市级教育督导室 · {CITY_USER[1]})")
        self.stdout.write(f"  bureau2 / {DEMO_PASSWORD}  (教育局工作人员 · 清河县)")
