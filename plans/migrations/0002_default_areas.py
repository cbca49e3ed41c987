"""The goal areas of a school plan, as real plans list them (../shared/seeds). Configurable."""

from django.db import migrations

AREAS = ["德育", "教学", "教师队伍", "教科研", "体育卫生艺术", "办学条件", "信息化", "安全"]


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    PlanArea = apps.get_model("plans", "PlanArea")  # noqa: N806
    for order, name in enumerate(AREAS):
        PlanArea.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
