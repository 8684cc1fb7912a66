from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    path("enterprise/projects/", views.project_list, name="list"),
    path("enterprise/projects/export/", views.project_export, name="export"),
    path("enterprise/projects/new/", views.project_new, name="new"),
    path("enterprise/projects/picker/", views.picker, name="picker"),
    path("enterprise/projects/select/", views.project_select, name="select"),
    path("enterprise/projects/<int:pk>/", views.project_edit, name="edit"),
    path("enterprise/projects/<int:pk>/delete/", views.project_delete, name="delete"),
    path("review/projects/", views.committee_list, name="committee_list"),
    path("review/projects/export/", views.committee_export, name="committee_export"),
]
