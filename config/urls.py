"""URL configuration: pages, the REST API and its schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("dangjian.rating.public_urls")),  # SPEC §5b: /r/…, /api/public/…
    path("", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("members/", include("dangjian.members.urls")),
    path("import/", include("dangjian.imports.urls")),
    path("ledger/", include("dangjian.ledger.urls")),
    path("compliance/", include("dangjian.compliance.urls")),
    path("assessment/", include("dangjian.assessment.urls")),
    path("schemes/", include("dangjian.schemes.urls")),
    path("rectification/", include("dangjian.rectification.urls")),
    path("notices/", include("dangjian.notices.urls")),
    path("rating/", include("dangjian.rating.urls")),
    path("dashboard/", include("dangjian.dashboard.urls")),
    path("reports/", include("dangjian.reports.urls")),
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (no inline script: CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
