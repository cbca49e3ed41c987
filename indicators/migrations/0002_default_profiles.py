"""Ship the two national default rule profiles (data-dictionary.md "Default rule profiles")."""

from django.db import migrations


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from indicators.defaults import DEFAULT_PROFILES

    RuleProfile = apps.get_model("indicators", "RuleProfile")  # noqa: N806
    RuleProfileVersion = apps.get_model("indicators", "RuleProfileVersion")  # noqa: N806
    for name, definition in DEFAULT_PROFILES.items():
        profile, _ = RuleProfile.objects.get_or_create(name=name, defaults={"label": definition["label"]})
        if not RuleProfileVersion.objects.filter(profile=profile).exists():
            RuleProfileVersion.objects.create(profile=profile, version=1, definition=definition, note="默认规则")


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
