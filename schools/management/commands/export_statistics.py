"""python manage.py export_statistics --district CODE --year YEAR --output FILE.xlsx

The twin of import_statistics, for nightly backups: the same workbook as the browser export
(schools.exchange.export_workbook: the statistics sheet, which re-imports unchanged, then the
stored balance results). The file is written to a temporary name beside FILE and renamed, so a
backup is never left half-written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from schools.exchange import export_workbook
from schools.models import District


class Command(BaseCommand):
    help = "导出区县某学年的学校统计与均衡结果(XLSX,可重新导入)/ Export a district's statistics for a year"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", required=True, help="区县代码(6 位)")
        parser.add_argument("--year", required=True, type=int, help="学年(起始年份)")
        parser.add_argument("--output", required=True, type=Path, help="输出文件(.xlsx)")

    def handle(self, *args: Any, **options: Any) -> None:
        code: str = options["district"]
        output = Path(options["output"])  # call_command(output=...) passes it unconverted
        district = District.objects.filter(code=code).first()
        if district is None:
            raise CommandError(f"区县不存在:{code} / No such district: {code}")
        if output.suffix.lower() != ".xlsx":
            raise CommandError(f"输出文件应为 .xlsx:{output} / The output file must end in .xlsx")
        if not output.parent.is_dir():
            raise CommandError(f"目录不存在:{output.parent} / No such directory: {output.parent}")
        data = export_workbook(district, options["year"])
        handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stdout.write(
            self.style.SUCCESS(f"已导出:{output}({len(data)} 字节)/ Exported {output} ({len(data)} bytes)")
        )
