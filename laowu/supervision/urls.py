"""Supervision pages: each domain's view module carries its own urlpatterns."""

from .views import awards, bad_behaviour, credit, inspections, notices, reminders, statistics

app_name = "supervision"

urlpatterns = [
    *bad_behaviour.urlpatterns,
    *inspections.urlpatterns,
    *awards.urlpatterns,
    *credit.urlpatterns,
    *notices.urlpatterns,
    *reminders.urlpatterns,
    *statistics.urlpatterns,
]
