"""Install the default county checklist (15 + 9 items and the veto items) for quality-2017."""

from django.db import migrations


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from assessment.defaults import CHECKLIST_DEFAULT_PROFILE, DEFAULT_CHECKLIST

    RuleProfile = apps.get_model("indicators", "RuleProfile")  # noqa: N806
    ChecklistVersion = apps.get_model("assessment", "ChecklistVersion")  # noqa: N806
    profile = RuleProfile.objects.filter(name=CHECKLIST_DEFAULT_PROFILE).first()
    if profile is not None and not ChecklistVersion.objects.filter(profile=profile).exists():
        ChecklistVersion.objects.create(profile=profile, version=1, definition=DEFAULT_CHECKLIST, note="默认检查项")


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial"), ("indicators", "0002_default_profiles")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
