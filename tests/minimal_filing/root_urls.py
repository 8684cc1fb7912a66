"""The project's URLs plus the test type's owner pages: the ROOT_URLCONF while it is installed."""

from __future__ import annotations

from django.urls import include, path

from laowu import urls as project_urls

handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500

urlpatterns = [*project_urls.urlpatterns, path("", include("tests.minimal_filing.urls"))]
