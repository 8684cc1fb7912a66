from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "laowu.contracts"
    label = "contracts"
    verbose_name = "项目信息"

    def ready(self) -> None:
        # Filings take attachments through the one attachment mechanism, by the workflow's rule.
        from laowu.review.registry import register_filing_attachments

        from .models import ProjectFiling

        register_filing_attachments(ProjectFiling)
