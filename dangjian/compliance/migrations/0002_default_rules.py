"""Install the default compliance rules of SPEC §6."""

from django.db import migrations


def install(apps, schema_editor):
    from dangjian.compliance.rules import install_default_rules

    install_default_rules(apps.get_model("compliance", "ComplianceRule"))


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
