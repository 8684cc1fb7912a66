from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("register/verify/", views.register_verify, name="register_verify"),
    path("password/change/", views.password_change, name="password_change"),
    path("password/forgot/", views.password_forgot, name="password_forgot"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.staff_create, name="staff_create"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/otp-reset/", views.user_otp_reset, name="user_otp_reset"),
    path("otp/", views.otp_settings, name="otp_settings"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("otp/enrol/", views.otp_enrol, name="otp_enrol"),
    path("otp/recovery-codes/", views.otp_recovery_codes, name="otp_recovery_codes"),
    path("otp/recovery-codes/new/", views.otp_regenerate, name="otp_regenerate"),
    path("users/<int:pk>/password/", views.user_set_password, name="user_set_password"),
    path("sms/", views.sms_list, name="sms_list"),
    path("sms/<int:pk>/resend/", views.sms_resend, name="sms_resend"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/unlock/", views.unlock, name="unlock"),
]
