"""Shared helpers: errors, personal-information protection, bulk SQL, API plumbing."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from dangjian.core import (
            checks,  # noqa: F401  (registers system checks)
            lookups,  # noqa: F401  (registers field__any_of)
        )
