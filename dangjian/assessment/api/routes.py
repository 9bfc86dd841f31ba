"""REST API routes of the assessment app, registered on the project's router."""

from dangjian.assessment.api.views import RecordViewSet, ResultViewSet


def register(router) -> None:
    """Add this app's viewsets to `router` (config/api_urls.py)."""
    router.register("assessment/records", RecordViewSet, basename="assessment-record")
    router.register("assessment/results", ResultViewSet, basename="assessment-result")
