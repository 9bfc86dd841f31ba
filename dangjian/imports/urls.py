from django.urls import path

from dangjian.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.page, name="page"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/issues.xlsx", views.run_issues, name="run-issues"),
    path("export.xlsx", views.export, name="export"),
    path("template.xlsx", views.template, name="template"),
]
