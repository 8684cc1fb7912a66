"""Menu pages still to be built: each later issue replaces its line with the real view."""

from django.urls import path

from laowu.accounts.models import Role

from .views import under_construction

app_name = "workspace"

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

urlpatterns = [
    path("committee/bad-behaviour/", under_construction("不良行为公示", R), name="bad_behaviour"),
    path("committee/inspections/", under_construction("现场检查", R), name="inspections"),
    path("committee/awards/", under_construction("评优创先", R), name="awards"),
    path("committee/notices/", under_construction("通知公告", R), name="notices"),
    path("committee/statistics/", under_construction("统计分析", R, S), name="statistics"),
]
