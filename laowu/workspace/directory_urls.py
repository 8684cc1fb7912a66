"""The committee's enterprise directory (企业列表) under review/enterprises/: the list and its
export are the enterprises app's; one enterprise's page gathers every app's records about
it, so it lives here, where it may import them all."""

from django.urls import path

from laowu.enterprises import directory

from . import enterprise_overview

app_name = "directory"

urlpatterns = [
    path("", directory.enterprise_list, name="enterprise_list"),
    path("export/", directory.enterprise_export, name="enterprise_export"),
    path("<int:pk>/", enterprise_overview.enterprise_detail, name="enterprise_detail"),
]
