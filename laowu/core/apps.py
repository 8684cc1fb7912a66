from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "laowu.core"
    label = "core"
    verbose_name = "公共"
