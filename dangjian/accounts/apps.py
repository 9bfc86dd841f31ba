"""Users, roles, scopes and the audit log (SPEC §1, §8)."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = "用户与审计"
