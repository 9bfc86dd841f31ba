"""Install the default organization categories of SPEC C1 on a fresh database."""

from django.db import migrations

from dangjian.orgs.choices import DEFAULT_CATEGORIES


def install(apps, schema_editor):
    Category = apps.get_model("orgs", "Category")
    for order, name in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(name=name, defaults={"sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
