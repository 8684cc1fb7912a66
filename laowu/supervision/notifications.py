"""Telling an enterprise what the committee decided: a 站内消息 and an SMS to its contact.

Every decision that reaches an enterprise goes the same way (`notify`): the 站内消息 is
written in the caller's transaction, so it exists exactly when the decision committed, and
the SMS is queued after the commit, so a decision that rolls back texts nobody, and a
background worker sends it (laowu/accounts/sms.py), so a slow provider holds neither a row
lock nor the request. An SMS that fails is retried there, then shown to the 系统管理员 on the
短信发送记录 page; it never fails the decision: the 站内消息 already tells the enterprise.

The review workflow's 通过 and 退回 arrive through `laowu/review/signals.py` once committed
(`on_filing_decided`, connected in `apps.py`); supervision's own services call `notify`
inside their transactions.

Each SMS is one of the providers' approved notice templates: `NOTICE_TEMPLATES` holds each
one's name (its key in LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODES / LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_IDS),
its variables in order and the text the phone shows. 证照到期提醒 keeps its template in
`reminders.py`.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from laowu.accounts.models import SmsKind
from laowu.accounts.sms import queue_sms
from laowu.core.validators import mask_mobile
from laowu.enterprises.models import Enterprise
from laowu.integrations.sms.backends import PLATFORM_SIGN
from laowu.review.signals import Decision, DecisionKind

from .messaging import send_message
from .models import Message

logger = logging.getLogger("laowu.supervision.notifications")

# Providers cap each template variable (阿里云: 35 characters); the 站内消息 carries the full text.
SMS_VALUE_MAX = 30
_TRAILING_PUNCTUATION = "。；;，,.！!、 "


def sms_value(value: Any, limit: int = SMS_VALUE_MAX) -> str:
    """One template variable: on one line, without closing punctuation, within the provider's cap."""
    text = re.sub(r"\s+", " ", str(value or "")).strip().rstrip(_TRAILING_PUNCTUATION)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclasses.dataclass(frozen=True)
class NoticeTemplate:
    """One approved SMS notice template. ``text`` is the template with ``{variable}`` where the
    provider's has ``${variable}`` (腾讯云: {1}, {2}, … in the order of ``variables``)."""

    name: str
    text: str
    variables: tuple[str, ...]

    def render(self, values: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        """The text as the phone shows it, and the variables in the provider's order."""
        params = {name: sms_value(values[name]) for name in self.variables}
        return f"【{PLATFORM_SIGN}】" + self.text.format(**params), params


FILING_APPROVED = NoticeTemplate("filing_approved", "您单位申报的{item}已审核通过，请登录平台查看。", ("item",))
FILING_CHANGE_APPROVED = NoticeTemplate(
    "filing_change_approved", "您单位{item}的变更已审核通过，即日起以新版本为准，请登录平台查看。", ("item",)
)
FILING_REJECTED = NoticeTemplate(
    "filing_rejected",
    "您单位申报的{item}已被退回，原因：{reason}。请登录平台按退回原因修改后重新申报。",
    ("item", "reason"),
)
BAD_BEHAVIOUR_PUBLISHED = NoticeTemplate(
    "bad_behaviour_published",
    "您单位的不良行为记录（决定书文号：{decision_no}）已发布公示，请登录平台查看。",
    ("decision_no",),
)
RECTIFICATION_NOTICE = NoticeTemplate(
    "rectification_notice",
    "区劳务专委会对您单位项目{project}的现场检查发现问题需要整改，请于{deadline}前完成整改并在平台提交整改情况。",
    ("project", "deadline"),
)
AWARD_DECIDED = NoticeTemplate(
    "award_decided", "您单位参评的{award}评定结果：{result}，请登录平台查看。", ("award", "result")
)
NOTICE_TEMPLATES: dict[str, NoticeTemplate] = {
    t.name: t
    for t in (
        FILING_APPROVED,
        FILING_CHANGE_APPROVED,
        FILING_REJECTED,
        BAD_BEHAVIOUR_PUBLISHED,
        RECTIFICATION_NOTICE,
        AWARD_DECIDED,
    )
}


@dataclasses.dataclass(frozen=True)
class Sms:
    template: NoticeTemplate
    values: Mapping[str, Any]


def notify(*, enterprise: Enterprise, title: str, body: str, link: str = "", sms: Sms | None = None) -> Message:
    """The 站内消息 now, in the caller's transaction; the SMS once that transaction commits."""
    message = send_message(enterprise=enterprise, title=title, body=body, link=link)
    if sms is not None:
        text, params = sms.template.render(sms.values)
        transaction.on_commit(
            functools.partial(
                send_sms_notice, enterprise_id=enterprise.pk, template=sms.template.name, text=text, params=params
            ),
            robust=True,
        )
    return message


def contact_mobile(enterprise_id: int) -> str:
    """The enterprise's 联系人手机号码, else the phone of one of its active accounts ("" if none)."""
    phone = (Enterprise.objects.filter(pk=enterprise_id).values_list("contact_phone", flat=True).first() or "").strip()
    if phone:
        return phone
    accounts = get_user_model().objects.filter(enterprise_id=enterprise_id, is_active=True).exclude(phone="")
    return accounts.order_by("date_joined", "pk").values_list("phone", flat=True).first() or ""


def send_sms_notice(*, enterprise_id: int, template: str, text: str, params: Mapping[str, str]) -> bool:
    """Queue one notice for the background worker (laowu/accounts/sms.py), which sends it and
    retries a failure; False (logged) when there is no number to send to, never an exception."""
    phone = ""
    try:
        phone = contact_mobile(enterprise_id)
        if not phone:
            logger.warning("短信通知未发送：企业 %s（%s）：企业未登记联系人手机号码", enterprise_id, template)
            return False
        with transaction.atomic():
            queue_sms(
                kind=SmsKind.NOTICE,
                phone=phone,
                purpose=template,
                template=template,
                text=text,
                params=params,
                ref=f"enterprise:{enterprise_id}",
            )
    except Exception:
        # The decision has committed and its 站内消息 is there, whatever went wrong here.
        logger.exception("短信通知未能排队：企业 %s %s（%s）", enterprise_id, mask_mobile(phone), template)
        return False
    return True


# ---------------------------------------------------------------- the workflow's decisions


def committee_contact() -> str:
    name = settings.LAOWU_COMMITTEE_CONTACT_NAME
    phone = settings.LAOWU_COMMITTEE_CONTACT_PHONE
    return f"{name} {phone}".strip()


def decision_notice(decision: Decision) -> tuple[str, str, Sms]:
    """The 站内消息's title and body, and the SMS, for one 通过 or 退回."""
    item = f"{decision.filing_label}“{decision.subject}”"
    declared = f"（第{decision.revision}次申报）"
    if decision.kind == DecisionKind.REJECTED:
        body = (
            f"您单位申报的{item}{declared}已被区劳务专委会退回。\n退回原因：{decision.reason}\n"
            f"请打开该信息，按退回原因修改后重新申报。如有疑问请联系区劳务专委会：{committee_contact()}。"
        )
        return f"审核退回：{item}", body, Sms(FILING_REJECTED, {"item": item, "reason": decision.reason})
    if decision.kind == DecisionKind.CHANGE_APPROVED:
        body = f"您单位{item}的变更{declared}已审核通过。即日起以新版本为准，打印的登记表和二维码核验均显示新版本。"
        return f"变更审核通过：{item}", body, Sms(FILING_CHANGE_APPROVED, {"item": item})
    body = f"您单位申报的{item}{declared}已审核通过，可打开该信息查看并打印登记表。"
    return f"审核通过：{item}", body, Sms(FILING_APPROVED, {"item": item})


def on_filing_decided(sender: Any, *, decision: Decision, **kwargs: Any) -> None:
    """Receiver of `laowu.review.signals.filing_decided`: runs after the decision committed."""
    title, body, sms = decision_notice(decision)
    with transaction.atomic():
        enterprise = Enterprise.objects.get(pk=decision.enterprise_id)
        notify(enterprise=enterprise, title=title, body=body, link=decision.link, sms=sms)
