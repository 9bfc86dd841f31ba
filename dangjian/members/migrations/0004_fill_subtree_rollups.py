"""Fill the organizations' new subtree totals for data that already exists."""

from django.db import migrations

STEP = 4
BRANCH_TYPES = {"党支部", "临时党支部"}


def fill_subtree_totals(apps, schema_editor):
    Organization = apps.get_model("orgs", "Organization")
    rows = list(
        Organization.objects.order_by().values_list(
            "id", "path", "member_count", "probationary_count", "org_type", "is_active"
        )
    )
    totals = {}
    for _, path, members, probationary, org_type, active in rows:
        for end in range(STEP, len(path) + 1, STEP):
            acc = totals.setdefault(path[:end], [0, 0, 0, 0])
            acc[0] += members
            acc[1] += probationary
            if end < len(path):
                acc[2] += 1 if active else 0
                acc[3] += 1 if active and org_type in BRANCH_TYPES else 0
    updates = []
    for org_id, path, *_ in rows:
        m, p, o, b = totals[path]
        updates.append(
            Organization(
                id=org_id,
                subtree_members=m,
                subtree_probationary=p,
                subtree_orgs=o,
                subtree_branches=b,
            )
        )
    Organization.objects.bulk_update(
        updates,
        ["subtree_members", "subtree_probationary", "subtree_orgs", "subtree_branches"],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_post_holders_index"),
        ("orgs", "0004_subtree_rollups"),
    ]
    operations = [migrations.RunPython(fill_subtree_totals, migrations.RunPython.noop)]
