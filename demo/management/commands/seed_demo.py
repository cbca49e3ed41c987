"""python manage.py seed_demo [--seed N]: build the demo county (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.county import DEMO_PASSWORD, DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = "生成示范县演示数据 / Build the demo county"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        district = seed_demo(seed=options["seed"])
        self.stdout.write(self.style.SUCCESS(f"示范县已就绪 / Demo county ready: {district}"))
        for username, (role, display) in DEMO_USERS.items():
            self.stdout.write(f"  {username} / {DEMO_PASSWORD}  ({role.label} · {display})")
