"""C8 public rating (群众评议 · 扫码评议): rated targets with QR codes, the public rating page and
endpoint, complaint cases (转办 → 跟踪 → 反馈 → 回访) and monthly satisfaction rollups that feed
the 群众评 rater group of the assessment (C5)."""

from django.apps import AppConfig


class RatingConfig(AppConfig):
    name = "dangjian.rating"
    label = "rating"
    verbose_name = "群众评议"

    def ready(self) -> None:
        from dangjian.rating import tasks  # noqa: F401  (registers escalation and rollups)
