"""The project's URLs plus the catalogue upload page, as the project will mount it."""

from __future__ import annotations

from django.urls import include, path

from laowu import urls as project_urls

handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500

urlpatterns = list(project_urls.urlpatterns)
# Once laowu/urls.py includes it, this module changes nothing.
if not any(getattr(p, "namespace", None) == "catalogue" for p in urlpatterns):
    urlpatterns.append(path("review/catalogue/", include("laowu.contracts.catalogue_urls")))
