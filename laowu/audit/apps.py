from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "laowu.audit"
    label = "audit"
    verbose_name = "审计日志"
