from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "laowu.integrations"
    label = "integrations"
    verbose_name = "外部系统"
