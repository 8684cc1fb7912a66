from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "laowu.enterprises"
    label = "enterprises"
    verbose_name = "企业"

    def ready(self) -> None:
        # Filings take attachments through the one attachment mechanism, by the workflow's rule.
        from laowu.review.registry import register_filing_attachments

        from .models import BasicInfo

        register_filing_attachments(BasicInfo)
