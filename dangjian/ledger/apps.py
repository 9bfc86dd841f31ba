"""C2 organizational-life ledger (三会一课) and party dues (党费)."""

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "dangjian.ledger"
    label = "ledger"
    verbose_name = "组织生活台账与党费"

    def ready(self) -> None:
        from dangjian.imports.registry import register_sheet
        from dangjian.imports.streaming import register_streaming
        from dangjian.ledger.dues_sheet import DuesSheet
        from dangjian.ledger.dues_stream import DuesStream
        from dangjian.ledger.facts import on_members_created
        from dangjian.ledger.meeting_sheet import MeetingSheet
        from dangjian.ledger.meeting_stream import MeetingStream
        from dangjian.members.signals import members_created

        register_sheet(MeetingSheet())
        register_sheet(DuesSheet())
        register_streaming(DuesStream())
        register_streaming(MeetingStream())
        members_created.connect(on_members_created, dispatch_uid="ledger-member-facts")
