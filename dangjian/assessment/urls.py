"""Pages of the assessment app (SPEC C5, C7)."""

from django.urls import path

from dangjian.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.results, name="results"),
    path("export/", views.export, name="export"),
    path("recompute/", views.recompute, name="recompute"),
    path("<int:org_id>/", views.explain, name="explain"),
    path("records/", views.records, name="records"),
    path("records/<int:pk>/delete/", views.record_delete, name="record_delete"),
    path("rules/", views.rules, name="rules"),
    path("whatif/", views.whatif, name="whatif"),
]
