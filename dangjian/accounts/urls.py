from django.urls import path

from dangjian.accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.sign_in_view, name="login"),
    path("accounts/logout/", views.sign_out_view, name="logout"),
    path("accounts/password/", views.password_change, name="password-change"),
    path("accounts/otp/setup/", views.otp_setup, name="otp-setup"),
    path("accounts/otp/verify/", views.otp_verify, name="otp-verify"),
    path("accounts/security/", views.account_security, name="account-security"),
    path("audit/", views.audit_log, name="audit"),
]
