"""C1 organization tree and scoping."""

from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "dangjian.orgs"
    label = "orgs"
    verbose_name = "组织"

    def ready(self) -> None:
        from dangjian.imports.registry import register_sheet
        from dangjian.orgs.sheet import OrganizationSheet

        register_sheet(OrganizationSheet())
