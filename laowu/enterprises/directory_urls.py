from django.urls import path

from . import directory

app_name = "directory"

urlpatterns = [
    path("", directory.enterprise_list, name="enterprise_list"),
    path("export/", directory.enterprise_export, name="enterprise_export"),
    path("<int:pk>/", directory.enterprise_detail, name="enterprise_detail"),
]
