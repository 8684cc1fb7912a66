from django.urls import path

from . import printing_views

app_name = "printing"

urlpatterns = [
    path("files/s/<int:submission_pk>/<str:sha256>/", printing_views.submission_file, name="submission_file"),
    path("print/<int:submission_pk>/", printing_views.print_sheet, name="print"),
    path("v/<str:token>/", printing_views.verify, name="verify"),
]
