"""Install the default dues brackets (党费收缴规定)."""

from django.db import migrations


def install(apps, schema_editor):
    from dangjian.ledger.dues import install_default_brackets

    install_default_brackets(apps.get_model("ledger", "DuesBracket"))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
