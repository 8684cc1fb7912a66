from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "laowu.enterprises"
    label = "enterprises"
    verbose_name = "企业"
