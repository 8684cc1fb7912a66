from django.urls import path

from laowu.accounts.models import Role
from laowu.core.views import under_construction

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

urlpatterns = [
    path("supervision/awards/", under_construction("评优创先", R, S), name="award_list"),
]
