from django.urls import path

from laowu.accounts.models import Role
from laowu.core.views import under_construction

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

urlpatterns = [
    path("supervision/notices/", under_construction("通知公告", R), name="notice_list"),
    path("notices/", under_construction("通知公告"), name="notice_public_list"),
    path("enterprise/messages/", under_construction("站内消息", E), name="messages"),
]
