"""Pages of the rectification app (C7 整顿软弱涣散基层党组织), mounted at /rectification/."""

from django.urls import path

from dangjian.rectification import views

app_name = "rectification"
urlpatterns = [
    path("", views.rectification_list, name="list"),
    path("open/", views.open_year, name="open"),
    path("export/", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/plan/", views.plan, name="plan"),
    path("<int:pk>/problems/", views.problem_add, name="problem_add"),
    path("<int:pk>/leaders/", views.leader_add, name="leader_add"),
    path("<int:pk>/progress/", views.progress_add, name="progress_add"),
    path("<int:pk>/transform/", views.transform, name="transform"),
    path("<int:pk>/consolidate/", views.consolidate, name="consolidate"),
    path("problems/<int:pk>/", views.problem_edit, name="problem_edit"),
    path("problems/<int:pk>/done/", views.problem_done, name="problem_done"),
    path("problems/<int:pk>/delete/", views.problem_delete, name="problem_delete"),
    path("leaders/<int:pk>/delete/", views.leader_delete, name="leader_delete"),
]
