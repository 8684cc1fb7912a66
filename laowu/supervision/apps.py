from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "laowu.supervision"
    label = "supervision"
    verbose_name = "行业监管"

    def ready(self) -> None:
        # Supervision records take attachments through the one attachment mechanism.
        from laowu.accounts.sms import sms_settled
        from laowu.documents.registry import register_attachable
        from laowu.review.signals import filing_decided

        from . import models, notifications, permissions, reminders

        for model in models.ATTACHABLE_MODELS:
            register_attachable(model, viewable=permissions.viewable(model), editable=permissions.editable(model))
        register_attachable(models.Notice, viewable=permissions.notices_viewable, editable=permissions.notices_editable)
        # Every 通过 and 退回 reaches the enterprise by 站内消息 and SMS.
        filing_decided.connect(notifications.on_filing_decided, dispatch_uid="supervision.notify_filing_decided")
        # A reminder's SMS is sent by the background worker; its outcome comes back here.
        sms_settled.connect(reminders.on_sms_settled, dispatch_uid="supervision.expiry_sms_settled")
