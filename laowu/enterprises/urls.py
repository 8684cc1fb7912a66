from django.urls import path

from . import views

app_name = "enterprises"

urlpatterns = [
    path("basic-info/", views.basic_info, name="basic_info"),
    path("basic-info/provider/", views.provider_refresh, name="provider_refresh"),
]
