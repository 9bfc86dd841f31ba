"""REST API routes of C8, registered on the project's router (config/api_urls.py)."""

from dangjian.rating.api.views import (
    CaseViewSet,
    OrgMonthViewSet,
    RatingViewSet,
    TargetMonthViewSet,
    TargetViewSet,
)


def register(router) -> None:
    """Add this app's viewsets to `router`."""
    router.register("rating/targets", TargetViewSet, basename="rating-target")
    router.register("rating/ratings", RatingViewSet, basename="rating-rating")
    router.register("rating/cases", CaseViewSet, basename="rating-case")
    router.register("rating/satisfaction", OrgMonthViewSet, basename="rating-satisfaction")
    router.register(
        "rating/target-satisfaction", TargetMonthViewSet, basename="rating-target-satisfaction"
    )
