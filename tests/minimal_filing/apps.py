from django.apps import AppConfig


class MinimalFilingConfig(AppConfig):
    name = "tests.minimal_filing"
    label = "minimal_filing"
    verbose_name = "测试许可"

    def ready(self) -> None:
        # As every filing app does: its attachments are served by documents, by the workflow's rule.
        from laowu.review.registry import register_filing_attachments

        from .models import Permit

        register_filing_attachments(Permit)
