from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "laowu.review"
    label = "review"
    verbose_name = "审核"

    def ready(self) -> None:
        # Registers the filing contract's system check.
        from . import checks  # noqa: F401
