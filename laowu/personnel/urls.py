from django.urls import path

from . import views

app_name = "personnel"

urlpatterns = [
    path("enterprise/personnel/<str:kind>/", views.person_list, name="list"),
    path("enterprise/personnel/<str:kind>/new/", views.person_new, name="new"),
    path("enterprise/personnel/<str:kind>/export/", views.person_export, name="export"),
    path("enterprise/personnel/<str:kind>/<int:pk>/", views.person_edit, name="edit"),
    path("enterprise/personnel/<str:kind>/<int:pk>/delete/", views.person_delete, name="delete"),
    path("enterprise/personnel/<str:kind>/<int:pk>/deregister/", views.person_deregister, name="deregister"),
    path("review/personnel/<str:kind>/", views.committee_list, name="committee_list"),
    path("review/personnel/<str:kind>/export/", views.committee_export, name="committee_export"),
]
