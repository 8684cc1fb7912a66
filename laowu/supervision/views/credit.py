from django.urls import path

from laowu.accounts.models import Role
from laowu.core.views import under_construction

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

urlpatterns = [
    path("supervision/credit/", under_construction("信用评分", R, S), name="credit_list"),
    path("enterprise/credit/", under_construction("信用评分", E), name="my_credit"),
]
