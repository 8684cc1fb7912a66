from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("laowu.core.urls")),
    path("", include("laowu.workspace.urls")),
    path("accounts/", include("laowu.accounts.urls")),
    path("audit/", include("laowu.audit.urls")),
    path("enterprise/", include("laowu.enterprises.urls")),
    path("review/", include("laowu.review.urls")),
    path("review/enterprises/", include("laowu.workspace.directory_urls")),
    path("", include("laowu.documents.urls")),
    path("", include("laowu.review.printing_urls")),
    path("", include("laowu.personnel.urls")),
    path("", include("laowu.contracts.urls")),
    path("review/catalogue/", include("laowu.contracts.catalogue_urls")),
    path("", include("laowu.supervision.urls")),
    path("captcha/", include("captcha.urls")),
    # The manual's addresses, kept for people who bookmarked them.
    path("Home/Login", RedirectView.as_view(pattern_name="accounts:login", permanent=True)),
    path("Home/AlterGlPwd", RedirectView.as_view(pattern_name="accounts:password_forgot", permanent=True)),
]

handler403 = "laowu.core.errors.forbidden"
handler404 = "laowu.core.errors.not_found"
handler500 = "laowu.core.errors.server_error"
