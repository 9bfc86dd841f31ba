"""Users, roles, scopes and the audit log (SPEC §1, §8)."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = "用户与审计"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from dangjian.accounts.middleware import stamp_session

        user_logged_in.connect(stamp_session, dispatch_uid="accounts-session-stamp")
