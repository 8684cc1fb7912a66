"""Background jobs of the accounts app, run by `manage.py run_worker` (docs/background-work.md)."""

from __future__ import annotations

from django_tasks import task

# The queue `run_worker` serves; its jobs carry only an SmsMessage id, never a phone or a code.
SMS_QUEUE = "sms"


@task(queue_name=SMS_QUEUE)
def deliver_sms(message_id: int) -> str:
    # Imported here: laowu/accounts/sms.py enqueues this task, so it imports this module.
    from .sms import deliver

    return deliver(message_id=message_id)
