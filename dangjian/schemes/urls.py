"""Pages of the schemes app (C5 考核方案), mounted at /schemes/."""

from django.urls import path

from dangjian.schemes import views

app_name = "schemes"
urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("new/", views.scheme_create, name="create"),
    path("<int:pk>/", views.scheme_detail, name="detail"),
    path("<int:pk>/edit/", views.scheme_edit, name="edit"),
    path("<int:pk>/publish/", views.scheme_publish, name="publish"),
    path("<int:pk>/withdraw/", views.scheme_withdraw, name="withdraw"),
    path("<int:pk>/delete/", views.scheme_delete, name="delete"),
    path("<int:pk>/items/new/", views.item_add, name="item_add"),
    path("<int:pk>/items/<int:item_pk>/", views.item_edit, name="item_edit"),
    path("<int:pk>/items/<int:item_pk>/delete/", views.item_delete, name="item_delete"),
    path("<int:pk>/compute/", views.compute, name="compute"),
    path("<int:pk>/orgs/", views.scheme_orgs, name="orgs"),
    path("<int:pk>/orgs/<int:org_pk>/", views.org_explain, name="explain"),
    path("<int:pk>/orgs/<int:org_pk>/score/", views.org_score, name="score"),
    path("<int:pk>/orgs/<int:org_pk>/ratings/", views.org_ratings, name="ratings"),
    path("<int:pk>/orgs/<int:org_pk>/self-check/", views.self_check, name="self_check"),
]
