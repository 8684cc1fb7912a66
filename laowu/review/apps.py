from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "laowu.review"
    label = "review"
    verbose_name = "审核"

    def ready(self) -> None:
        # Registers the filing contract's system check.
        from laowu.core.crypto import register_rotation

        from . import checks  # noqa: F401
        from .fields import rotate_snapshots
        from .sheets import rotate_cached_sheets

        # What rotate_keys re-seals besides the sealed columns (docs/security.md).
        register_rotation("申报内容快照", rotate_snapshots)
        register_rotation("打印表缓存", rotate_cached_sheets)
