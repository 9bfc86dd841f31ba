"""REST API routes of the schemes app, registered on the project's router."""

from dangjian.schemes.api.views import ItemScoreViewSet, RaterScoreViewSet, SchemeViewSet


def register(router) -> None:
    """Add this app's viewsets to `router` (config/api_urls.py). The score routes come before
    the schemes' own, whose ids are digits only."""
    router.register("schemes/item-scores", ItemScoreViewSet, basename="scheme-item-score")
    router.register("schemes/ratings", RaterScoreViewSet, basename="scheme-rating")
    router.register("schemes", SchemeViewSet, basename="scheme")
