"""Fill the dashboard rollups for results that already exist (an installation upgraded past
the dashboard's first version); afterwards the batches and the nightly job keep them."""

from django.db import migrations
from django.utils import timezone

STEP = 4
CLASSES = ("先进", "一般", "后进")  # then 未分类 = 3, no result the year before = 4
GRADES = {"good": "好", "fairly_good": "较好", "fair": "一般", "poor": "差"}
FLOW = tuple(f"f{p}{c}" for p in range(5) for c in range(4))
RESULT_COLUMNS = (
    "dues_arrears", "arrears_orgs", "assessed", "advanced", "ordinary", "backward",
    "unclassified", "weak", *GRADES, *FLOW,
)  # fmt: skip
STATES = {"rect_open": "整顿中", "rect_transformed": "已转化", "rect_consolidated": "巩固"}


def _class(standing) -> int:
    return CLASSES.index(standing) if standing in CLASSES else 3


def fill(apps, schema_editor):
    Organization = apps.get_model("orgs", "Organization")
    BranchYear = apps.get_model("compliance", "BranchYear")
    AssessmentResult = apps.get_model("assessment", "AssessmentResult")
    Rectification = apps.get_model("rectification", "Rectification")
    Problem = apps.get_model("rectification", "Problem")
    SubtreeResults = apps.get_model("dashboard", "SubtreeResults")
    SubtreeOpenItems = apps.get_model("dashboard", "SubtreeOpenItems")

    SubtreeResults.objects.all().delete()  # written again whole (a migration run twice)
    SubtreeOpenItems.objects.all().delete()
    rows = list(Organization.objects.order_by().values_list("id", "path"))
    by_path = {path: org_id for org_id, path in rows}
    chain = {
        org_id: [by_path[path[:end]] for end in range(STEP, len(path) + 1, STEP)]
        for org_id, path in rows
    }

    def add(totals, key, values):
        row = totals.setdefault(key, {})
        for name, value in values.items():
            row[name] = row.get(name, 0) + value

    results = {}
    for org_id, year, arrears in BranchYear.objects.filter(dues_arrears__gt=0).values_list(
        "organization_id", "year", "dues_arrears"
    ):
        for ancestor in chain.get(org_id, ()):
            add(results, (ancestor, year), {"dues_arrears": arrears, "arrears_orgs": 1})
    found = list(
        AssessmentResult.objects.values_list(
            "organization_id", "year", "standing", "grade", "weak_lax"
        )
    )
    before = {(org_id, year): _class(standing) for org_id, year, standing, _g, _w in found}
    for org_id, year, standing, grade, weak in found:
        current = _class(standing)
        values = {
            "assessed": 1,
            ("advanced", "ordinary", "backward", "unclassified")[current]: 1,
            "weak": 1 if weak else 0,
            f"f{before.get((org_id, year - 1), 4)}{current}": 1,
        }
        values.update({name: 1 for name, g in GRADES.items() if g == grade})
        for ancestor in chain.get(org_id, ()):
            add(results, (ancestor, year), values)
    SubtreeResults.objects.bulk_create(
        (
            SubtreeResults(
                organization_id=org_id,
                year=year,
                **{c: values.get(c, 0) for c in RESULT_COLUMNS},
            )
            for (org_id, year), values in results.items()
        ),
        batch_size=2000,
    )

    today = timezone.localdate()
    problems = {}
    for rect_id, done, due_on in Problem.objects.values_list("rectification_id", "done", "due_on"):
        open_, overdue = problems.get(rect_id, (0, 0))
        late = not done and due_on is not None and due_on < today
        problems[rect_id] = (open_ + (not done), overdue + late)
    open_items = {}
    for rect_id, org_id, state in Rectification.objects.values_list(
        "id", "organization_id", "state"
    ):
        open_, overdue = problems.get(rect_id, (0, 0))
        values = {name: int(state == s) for name, s in STATES.items()}
        values.update(problems_open=open_, problems_overdue=overdue)
        for ancestor in chain.get(org_id, ()):
            add(open_items, ancestor, values)
    SubtreeOpenItems.objects.bulk_create(
        (
            SubtreeOpenItems(
                organization_id=org_id,
                as_of=today,
                **{c: values.get(c, 0) for c in (*STATES, "problems_open", "problems_overdue")},
            )
            for org_id, values in open_items.items()
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("compliance", "0003_subtree_year_and_derived_keys"),
        ("assessment", "0002_default_rules"),
        ("rectification", "0001_initial"),
    ]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
