from django.urls import path

from dangjian.orgs import category_views, views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("search/", views.search, name="search"),
    path("options/", views.options, name="options"),
    path("new/", views.create, name="create"),
    path("categories/", category_views.category_list, name="categories"),
    path("categories/<int:pk>/rename/", category_views.category_rename, name="category_rename"),
    path("categories/<int:pk>/delete/", category_views.category_remove, name="category_remove"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.children, name="children"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/dissolve/", views.dissolve, name="dissolve"),
]
