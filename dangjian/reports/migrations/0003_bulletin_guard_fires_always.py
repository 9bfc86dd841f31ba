"""The bulletin guard fires in every session, including one in replica mode (see
accounts 0006)."""

from django.db import migrations


def always(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reports_bulletin ENABLE ALWAYS TRIGGER bulletin_guard")


def by_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reports_bulletin ENABLE TRIGGER bulletin_guard")


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_bulletin_guard")]

    operations = [migrations.RunPython(always, by_default)]
