"""The audit guards fire in every session, including one that sets session_replication_role to
replica (which a large import does to skip per-row foreign-key triggers, see
imports.references): a trigger left at the default ENABLE fires only in origin sessions."""

from django.db import migrations

TABLES = ("accounts_auditentry", "accounts_auditanchor", "accounts_auditseal")


def always(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER audit_guard")


def by_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_guard")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_audit_org_path_prefix_index")]

    operations = [migrations.RunPython(always, by_default)]
