"""Pages of the schemes app."""

from django.urls import path  # noqa: F401

app_name = "schemes"
urlpatterns: list = []
