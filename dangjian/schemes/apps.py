"""C5 assessment schemes: item trees per organization category, raters, self-checks, and the
党建得分 that comes out of them."""

from django.apps import AppConfig


class SchemesConfig(AppConfig):
    name = "dangjian.schemes"
    label = "schemes"
    verbose_name = "考核方案"
