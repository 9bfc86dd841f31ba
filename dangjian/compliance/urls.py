from django.urls import path

from dangjian.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("recompute/", views.recompute, name="recompute"),
    path("branches/", views.branches, name="branches"),
    path("branches/<int:pk>/", views.branch, name="branch"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/customize/", views.customize, name="customize"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("exemptions/", views.exemption_add, name="exemption_add"),
    path("exemptions/<int:pk>/delete/", views.exemption_remove, name="exemption_remove"),
    path("reminders/", views.reminders, name="reminders"),
    path("warnings/", views.warnings, name="warnings"),
]
