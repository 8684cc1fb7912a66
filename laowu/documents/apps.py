from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "laowu.documents"
    label = "documents"
    verbose_name = "附件与打印"
