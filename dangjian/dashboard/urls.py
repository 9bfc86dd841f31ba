"""Pages of the dashboard app (SPEC C16), mounted at /dashboard/."""

from django.urls import path

from dangjian.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="index"),
    path("<int:org_id>/", views.dashboard, name="org"),
]
