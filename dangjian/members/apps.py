"""C1 party members: registry, posts, transfers."""

from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangjian.members"
    label = "members"
    verbose_name = "党员"

    def ready(self) -> None:
        from dangjian.imports.registry import register_sheet
        from dangjian.imports.streaming import register_streaming
        from dangjian.members.member_stream import MemberStream
        from dangjian.members.sheet import MemberSheet

        register_sheet(MemberSheet())
        register_streaming(MemberStream())
