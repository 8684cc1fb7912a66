from django.urls import path

from laowu.accounts.models import Role
from laowu.core.views import under_construction

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

# Placeholder until built: the URL names the menus use.
urlpatterns = [
    path("supervision/bad-behaviour/", under_construction("不良行为记录", E, R, S), name="bad_behaviour_list"),
    path("gs/", under_construction("不良行为公示"), name="public_bad_behaviour"),
]
