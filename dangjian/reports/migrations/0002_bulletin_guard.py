"""The bulletin archive cannot be changed: on PostgreSQL a trigger refuses UPDATE and DELETE
of its rows (no page, API or stray SQL can alter or remove a bulletin once archived). SQLite
relies on the model's own refusal (a trigger there would also refuse the test suite's flush)."""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION dangjian_bulletin_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '通报归档生成后不可修改或删除（%）', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER bulletin_guard BEFORE UPDATE OR DELETE ON reports_bulletin
  FOR EACH ROW EXECUTE FUNCTION dangjian_bulletin_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS bulletin_guard ON reports_bulletin;
DROP FUNCTION IF EXISTS dangjian_bulletin_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(guard, unguard)]
