from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "laowu.personnel"
    label = "personnel"
    verbose_name = "人员信息"
