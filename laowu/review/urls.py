from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export/", views.queue_export, name="queue_export"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/<str:decision>/", views.decide, name="decide"),
    path("filings/<str:filing_type>/<int:pk>/<str:action>/", views.owner_action, name="owner_action"),
]
