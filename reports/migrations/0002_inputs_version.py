"""The stored versions of what reports show (reports.InputsVersion) and, on PostgreSQL, the
triggers that keep them: every write to a table a report reads bumps the versions of the slices
it touches (reports.identity.TRACKED). A later change of TRACKED needs a migration that runs
install_triggers again (the statements are idempotent)."""

from django.db import migrations, models


def install_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere (SQLite in development) reports hash the rows themselves
    from core.identity import tracking_sql
    from reports.identity import TRACKED, VERSIONS

    for statement in tracking_sql(VERSIONS, TRACKED):
        schema_editor.execute(statement)


def remove_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    from core.identity import untracking_sql
    from reports.identity import TRACKED, VERSIONS

    for statement in untracking_sql(VERSIONS, TRACKED):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_initial"),
        ("indicators", "0002_default_profiles"),
        ("schools", "0002_import_job"),
        ("plans", "0003_planevent_changes"),
        ("assessment", "0002_default_checklist"),
    ]

    operations = [
        migrations.CreateModel(
            name="InputsVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("district_id", models.IntegerField()),
                ("school_id", models.IntegerField()),
                ("year", models.IntegerField()),
                ("part", models.CharField(max_length=32)),
                ("version", models.BigIntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("district_id", "school_id", "year", "part"), name="reports_inputs_slice"
                    )
                ],
            },
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
