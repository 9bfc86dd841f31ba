"""Pages of C8 for officers, mounted at /rating/."""

from django.urls import path

from dangjian.rating import views

app_name = "rating"
urlpatterns = [
    path("", views.satisfaction, name="satisfaction"),
    path("refresh/", views.refresh, name="refresh"),
    path("feed/", views.feed_assessment, name="feed"),
    path("targets/", views.targets, name="targets"),
    path("targets/new/", views.target_new, name="target_new"),
    path("targets/posters/", views.posters, name="posters"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/poster/", views.poster, name="poster"),
    path("ratings/", views.ratings, name="ratings"),
    path("cases/", views.cases, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/track/", views.case_track, name="case_track"),
    path("cases/<int:pk>/reply/", views.case_reply, name="case_reply"),
    path("cases/<int:pk>/escalate/", views.case_escalate, name="case_escalate"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("cases/<int:pk>/phone/", views.case_phone, name="case_phone"),
]
