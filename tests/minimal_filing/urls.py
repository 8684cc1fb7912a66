from django.urls import path

from . import views

app_name = "minimal_filing"

urlpatterns = [
    path("enterprise/test-permits/new/", views.permit_new, name="new"),
    path("enterprise/test-permits/<int:pk>/", views.permit_edit, name="edit"),
]
