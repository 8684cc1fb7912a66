from django.urls import path

from laowu.accounts.models import Role
from laowu.core.views import under_construction

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

urlpatterns = [
    path("supervision/inspections/", under_construction("现场检查", E, R, S), name="inspection_list"),
]
