"""Public routes of C8 (SPEC §5b), mounted at the site root: no sign-in."""

from django.urls import path, re_path

from dangjian.rating import public_views as views

app_name = "public"
urlpatterns = [
    path("api/public/ratings", views.api_rating, name="api-rating"),
    re_path(
        r"^api/public/cases/(?P<tracking_code>[^/]+)/feedback$",
        views.api_case_feedback,
        name="api-case-feedback",
    ),
    re_path(r"^api/public/cases/(?P<tracking_code>[^/]+)$", views.api_case, name="api-case"),
    path("r/track/", views.track_form, name="track-form"),
    re_path(r"^r/track/(?P<tracking_code>[^/]+)$", views.track_page, name="track"),
    re_path(r"^r/(?P<code>[^/]+)/qr\.(?P<kind>svg|png)$", views.qr_image, name="qr"),
    re_path(r"^r/(?P<code>[^/]+)$", views.rating_page, name="rate"),
]
