from django.urls import path

from laowu.accounts.models import Role
from laowu.core.views import under_construction

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

urlpatterns = [
    path("supervision/expiry/", under_construction("证照到期提醒", E, R, S), name="expiry_list"),
]
