from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("files/upload/<str:filing_type>/<int:pk>/", views.upload, name="upload"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
    path("files/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
]
