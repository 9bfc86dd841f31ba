"""The default assessment rule set of SPEC §6 (year null), editable per year afterwards."""

from dataclasses import asdict

from django.db import migrations


def install(apps, schema_editor):
    from dangjian.assessment.rules import DEFAULT_RULES

    rules = apps.get_model("assessment", "AssessmentRules")
    if not rules.objects.filter(year=None).exists():
        rules.objects.create(year=None, **asdict(DEFAULT_RULES))


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
