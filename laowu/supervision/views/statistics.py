from django.urls import path

from laowu.accounts.models import Role
from laowu.core.views import under_construction

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

urlpatterns = [
    path("supervision/statistics/", under_construction("统计分析", R, S), name="statistics"),
]
