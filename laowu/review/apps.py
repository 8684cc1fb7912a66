from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "laowu.review"
    label = "review"
    verbose_name = "审核"
