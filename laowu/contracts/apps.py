from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "laowu.contracts"
    label = "contracts"
    verbose_name = "项目信息"
