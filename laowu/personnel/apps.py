from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "laowu.personnel"
    label = "personnel"
    verbose_name = "人员信息"

    def ready(self) -> None:
        # Filings take attachments through the one attachment mechanism, by the workflow's rule.
        from laowu.review.registry import register_filing_attachments

        from .models import SafetyOfficer, WageManager

        register_filing_attachments(SafetyOfficer)
        register_filing_attachments(WageManager)
