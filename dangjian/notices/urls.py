from django.urls import path

from dangjian.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.read_all, name="read_all"),
    path("badge/", views.badge, name="badge"),
]
