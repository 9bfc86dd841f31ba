from django.urls import path

from dangjian.ledger import views

app_name = "ledger"
urlpatterns = [
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_create, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/delete/", views.meeting_delete, name="meeting_delete"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("dues/", views.dues_month, name="dues"),
    path("years/close/", views.close_year, name="close_year"),
]
