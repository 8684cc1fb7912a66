"""省合同归集数据导入 (committee). Included under ``review/catalogue/`` with namespace ``catalogue``."""

from __future__ import annotations

from django.urls import path

from . import catalogue_views

app_name = "catalogue"

urlpatterns = [
    path("", catalogue_views.upload, name="upload"),
    path("confirm/", catalogue_views.confirm, name="confirm"),
    path("cancel/", catalogue_views.cancel, name="cancel"),
]
