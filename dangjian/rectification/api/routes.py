"""REST API routes of the rectification app, registered on the project's router."""

from dangjian.rectification.api.views import RectificationViewSet


def register(router) -> None:
    """Add this app's viewsets to `router` (config/api_urls.py)."""
    router.register("rectifications", RectificationViewSet, basename="rectification")
