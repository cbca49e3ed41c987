"""python manage.py import_statistics FILE --district CODE --year YEAR

The same reading and checking as the browser import (schools.importing): each error names its
cell (`Sheet1!H12`), the value found and what is expected; nothing is saved unless every row passes
and every year-over-year jump has its reason (变动说明 column).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schools.importing import ImportFileError, format_report, import_rows, read_table


class Command(BaseCommand):
    help = "导入学校年度统计(CSV 或 XLSX,数据字典格式)/ Import annual statistics"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--district", required=True, help="区县代码(6 位)")
        parser.add_argument("--year", required=True, type=int, help="学年(起始年份)")
        parser.add_argument("--dry-run", action="store_true", help="只检查,不保存")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"文件不存在 / File not found: {path}")
        district = options["district"]
        if not (district.isdecimal() and len(district) == 6):
            raise CommandError("区县代码应为 6 位数字 / District code must be 6 digits")
        try:
            table = read_table(path)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        report = import_rows(table, district_code=district, year=options["year"], user=None, dry_run=options["dry_run"])
        for line in format_report(report):
            self.stdout.write(line)
        if not report.ready:
            problems = report.error_count + report.warning_count
            raise CommandError(f"导入失败:{problems} 处错误或待说明,未保存任何数据 / Import failed, nothing saved")
        saved = "(未保存,仅检查)" if options["dry_run"] else ""
        self.stdout.write(
            self.style.SUCCESS(f"导入成功:{len(report.rows)} 行{saved} / Imported {len(report.rows)} rows")
        )
