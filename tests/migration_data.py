"""The rows the data migrations install (default categories, compliance and assessment rules,
dues brackets), put back after a transactional test flushed every table."""

from __future__ import annotations

import importlib

from django.apps import apps

DATA_MIGRATIONS = (
    "dangjian.orgs.migrations.0002_default_categories",
    "dangjian.compliance.migrations.0002_default_rules",
    "dangjian.assessment.migrations.0002_default_rules",
    "dangjian.ledger.migrations.0002_default_brackets",
)


def restore_migration_data() -> None:
    """Run each data migration's own (idempotent) install function again."""
    for name in DATA_MIGRATIONS:
        importlib.import_module(name).install(apps, None)
