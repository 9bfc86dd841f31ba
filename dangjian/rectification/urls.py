"""Pages of the rectification app."""

from django.urls import path  # noqa: F401

app_name = "rectification"
urlpatterns: list = []
