"""证照到期提醒: certificates and licences expiring within 90 days, and telling the enterprise.

What expires is declared by each filing type (`Filing.EXPIRING_DATES`, checked at startup by
laowu/review/checks.py); the reminders go over every registered type.

What is on file is the *approved* revision: a filing in the middle of a 变更 still
holds the approved dates in its approved submission's snapshot until the new revision
is approved. Those dates are also copied at 通过 into indexed `approved_*` columns
(`Filing.APPROVED_COPIES`), which every list, count and run here filters and sorts on;
the holder and number shown come from the snapshot, not from the half-edited record.

The enterprise is told once per threshold (30/60/90 days), at the smallest threshold
reached: a certificate first seen 25 days before it expires gets one reminder (30), one
seen at 60 and again at 30 days gets two. `ExpiryReminder`'s unique key is what makes a
second run, or two runs at once, send nothing twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, Model, Q, QuerySet, Value, prefetch_related_objects
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from laowu.accounts.models import SmsKind, SmsMessage, SmsStatus
from laowu.accounts.sms import queue_sms
from laowu.audit.services import Action, record
from laowu.core import prepared
from laowu.core.pagination import COUNT_LIMIT, counts_upto
from laowu.core.search import Related, search
from laowu.enterprises.models import Enterprise
from laowu.enterprises.scope import enterprises_in_scope
from laowu.integrations.sms import EXPIRY_NOTICE
from laowu.integrations.sms.backends import PLATFORM_SIGN
from laowu.review.models import ON_FILE, ExpiringDate, Filing, State
from laowu.review.registry import filing_models

from .messaging import send_message
from .models import REMINDER_THRESHOLDS, ExpiryReminder

logger = logging.getLogger("laowu.supervision.reminders")

HORIZON_DAYS = max(REMINDER_THRESHOLDS)
CRON_USERNAME = "定时任务"
SMS_HOLDER_MAX = 20  # providers cap each template variable's length (阿里云: 35)

BUCKET_EXPIRED = "expired"
BUCKETS = (
    (BUCKET_EXPIRED, "已过期"),
    ("30", "30天内到期"),
    ("60", "31–60天到期"),
    ("90", "61–90天到期"),
)


@dataclasses.dataclass(frozen=True)
class Source:
    """One kind of certificate: a filing type's expiring date (`Filing.EXPIRING_DATES`)."""

    model: type[Filing]
    expiring: ExpiringDate

    @property
    def kind(self) -> str:
        return self.expiring.kind

    @property
    def label(self) -> str:
        return self.expiring.label

    @property
    def field(self) -> str:
        return self.expiring.field

    @property
    def number_field(self) -> str:
        return self.expiring.number_field

    @property
    def fix_where(self) -> str:
        return self.expiring.fix_where

    @property
    def held_by_person(self) -> bool:
        return bool(self.expiring.holder_field)

    @property
    def approved_field(self) -> str:
        return self.model.APPROVED_COPIES[self.field]

    def holder(self, filing: Filing, values: Mapping[str, Any]) -> str:
        """Who holds it: the person as approved, or the enterprise."""
        if self.held_by_person:
            return str(values.get(self.expiring.holder_field) or "")
        return filing.enterprise.name

    def enterprise_link(self, subject: Filing) -> str:
        """The owner's page of the filing, where the enterprise renews it."""
        return subject.get_absolute_url()


@functools.cache
def sources() -> tuple[Source, ...]:
    """Every expiring date of every filing type. A person's certificates come before the
    enterprise's own licences: the order of the list's segments, its filter and the
    dashboard's table."""
    found = [Source(model, expiring) for model in filing_models().values() for expiring in model.EXPIRING_DATES]
    return tuple(sorted(found, key=lambda source: not source.held_by_person))


def kinds() -> tuple[tuple[str, str], ...]:
    """(kind, label) of each kind of certificate, for the list's filter."""
    return tuple((source.kind, source.label) for source in sources())


def threshold_for(days_left: int) -> int | None:
    """The smallest threshold reached, or None when still further off than the largest."""
    for threshold in sorted(REMINDER_THRESHOLDS):
        if days_left <= threshold:
            return threshold
    return None


def status_text(days_left: int) -> str:
    if days_left > 0:
        return f"还有{days_left}天到期"
    if days_left == 0:
        return "今天到期"
    return f"已过期{-days_left}天"


@dataclasses.dataclass(frozen=True)
class ExpiryItem:
    source: Source
    subject: Filing
    enterprise: Enterprise
    holder: str
    number: str
    expires_on: dt.date
    days_left: int

    @property
    def kind(self) -> str:
        return self.source.kind

    @property
    def label(self) -> str:
        return self.source.label

    @property
    def field(self) -> str:
        return self.source.field

    @property
    def threshold(self) -> int:
        # Items are only built within the horizon, so a threshold is always reached.
        return threshold_for(self.days_left) or HORIZON_DAYS

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def bucket(self) -> str:
        return BUCKET_EXPIRED if self.expired else str(self.threshold)

    @property
    def status_text(self) -> str:
        return status_text(self.days_left)

    @property
    def key(self) -> tuple[type[Model], int, str, dt.date]:
        return (self.source.model, self.subject.pk, self.field, self.expires_on)

    @property
    def enterprise_link(self) -> str:
        return self.source.enterprise_link(self.subject)

    @property
    def committee_link(self) -> str:
        # A person's certificate shows on the approved submission; the enterprise's own
        # licences on the enterprise's page, with its 基本信息.
        if self.source.held_by_person and self.subject.approved_submission_id:
            return reverse("review:submission", args=[self.subject.approved_submission_id])
        return reverse("directory:enterprise_detail", args=[self.enterprise.pk])


# ---------------------------------------------------------------- selectors


def _approved_values(filing: Filing) -> dict[str, Any]:
    """The approved revision's field values, from its snapshot."""
    snapshot = filing.approved_submission.snapshot if filing.approved_submission else {}
    return {row["name"]: row.get("value") for row in snapshot.get("fields", []) if "name" in row}


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _on_file(source: Source, enterprises: QuerySet[Enterprise] | int | None) -> QuerySet[Filing]:
    """Filings of the source with an approved revision (possibly in a 变更), not deregistered.

    ``enterprises`` is a queryset of enterprises (the committee's scope), one enterprise's id
    (its own home page), or None for every enterprise."""
    qs = source.model.objects.filter(ON_FILE)
    if isinstance(enterprises, int):
        # A plain equality: as a subquery of the enterprise table, PostgreSQL plans a semi-join
        # for each kind, which costs more than the counting.
        return qs.filter(enterprise_id=enterprises)
    # All enterprises (a reviewer of every district) is no filter at all: joined, it would make
    # the counts read each row instead of only the expiry index.
    if enterprises is not None and enterprises.query.where:
        qs = qs.filter(enterprise__in=enterprises.order_by().values("pk"))
    return qs


def _shown_fields(source: Source) -> tuple[str, ...]:
    """The filing's fields an item shows: its holder (a person's name) and its number."""
    return ((source.expiring.holder_field,) if source.held_by_person else ()) + (source.number_field,)


def _item(source: Source, filing: Filing, today: dt.date) -> ExpiryItem:
    expires_on = getattr(filing, source.approved_field)
    if filing.state == State.APPROVED:
        values = {name: getattr(filing, name) for name in _shown_fields(source)}
    else:
        values = _approved_values(filing)
    return ExpiryItem(
        source=source,
        subject=filing,
        enterprise=filing.enterprise,
        holder=str(source.holder(filing, values) or ""),
        number=str(values.get(source.number_field) or ""),
        expires_on=expires_on,
        days_left=(expires_on - today).days,
    )


def _expiring(
    source: Source, enterprises: QuerySet[Enterprise] | None, today: dt.date, *, bucket: str = "", q: str = ""
) -> QuerySet[Filing]:
    """The source's filings expiring within the horizon (or in one bucket), most urgent first."""
    field = source.approved_field
    qs = _on_file(source, enterprises).filter(**{f"{field}__lte": today + dt.timedelta(days=HORIZON_DAYS)})
    if bucket == BUCKET_EXPIRED:
        qs = qs.filter(**{f"{field}__lt": today})
    elif bucket:
        lower = 0
        for threshold in sorted(REMINDER_THRESHOLDS):
            if str(threshold) == bucket:
                qs = qs.filter(
                    **{
                        f"{field}__gte": today + dt.timedelta(days=lower),
                        f"{field}__lte": today + dt.timedelta(days=threshold),
                    }
                )
            lower = threshold + 1
    if q:
        # Holder and number as they stand (a 变更's edits included): close enough to find it.
        # The enterprise as holder is searched by its name below.
        holder = (source.expiring.holder_field,) if source.held_by_person else ()
        qs = search(
            qs,
            q,
            text=(*holder, source.number_field),
            related=(
                Related("enterprise", Enterprise, "name"),
                Related("enterprise", Enterprise, "credit_code", code=True),
            ),
        )
    return qs.select_related("enterprise", "approved_submission").order_by(field, "id")


def expiring_items(
    *, enterprises: QuerySet[Enterprise] | None = None, today: dt.date | None = None
) -> list[ExpiryItem]:
    """Everything on file expiring within 90 days or already expired, most urgent first.

    ``enterprises`` limits the search; None means every enterprise (the daily run).
    """
    today = today or timezone.localdate()
    items = [
        _item(source, filing, today)
        for source in sources()
        for filing in _expiring(source, enterprises, today).iterator(chunk_size=2000)
    ]
    items.sort(key=lambda i: (i.days_left, i.enterprise.name, i.label, i.holder))
    return items


def expiry_bands(
    *, enterprises: QuerySet[Enterprise] | None = None, today: dt.date | None = None
) -> list[tuple[Source, dict[str, int]]]:
    """For each kind of certificate, how many items of `expiring_items` are already expired and
    how many fall in each threshold band (30: 0–30 days, 60: 31–60, 90: 61–90), counted in the
    database on the indexed approved dates: the home pages and the dashboard show these."""
    today = today or timezone.localdate()
    result = []
    for source in sources():
        field = source.approved_field
        bands = {"expired": Count("pk", filter=Q(**{f"{field}__lt": today}))}
        lower = today
        for threshold in sorted(REMINDER_THRESHOLDS):
            upper = today + dt.timedelta(days=threshold)
            bands[str(threshold)] = Count("pk", filter=Q(**{f"{field}__gte": lower, f"{field}__lte": upper}))
            lower = upper + dt.timedelta(days=1)
        horizon = today + dt.timedelta(days=HORIZON_DAYS)
        counts = _on_file(source, enterprises).filter(**{f"{field}__lte": horizon}).aggregate(**bands)
        result.append((source, counts))
    return result


def _expiry_counts_arms(
    enterprises: QuerySet[Enterprise] | int | None, today: dt.date, lead: tuple[Any, ...] = (Value(1),)
) -> list[QuerySet[Any]]:
    horizon = today + dt.timedelta(days=HORIZON_DAYS)
    arms = []
    for source in sources():
        field = source.approved_field
        arms.append(
            _on_file(source, enterprises)
            .filter(**{f"{field}__lte": horizon})
            .order_by()
            # Constants are no GROUP BY column: one row per kind, counting all its rows.
            .values_list(*lead)
            .annotate(
                expired=Count("pk", filter=Q(**{f"{field}__lt": today})),
                expiring=Count("pk", filter=Q(**{f"{field}__gte": today})),
            )
        )
    return arms


def _expiry_counts_query(enterprises: QuerySet[Enterprise] | int | None, today: dt.date) -> QuerySet[Any]:
    arms = _expiry_counts_arms(enterprises, today)
    return arms[0].union(*arms[1:], all=True) if len(arms) > 1 else arms[0]


def enterprise_expiry_arms(enterprise_id: int, today: dt.date, lead: tuple[Any, ...]) -> list[QuerySet[Any]]:
    """The arms of `enterprise_expiry_counts`' query, one per kind, each row the constants
    ``lead`` then the expired and expiring counts: for a page that reads them in a UNION of
    its own (the enterprise home, laowu/workspace/steps.py). `expiry_totals` adds up the rows."""
    return _expiry_counts_arms(enterprise_id, today, lead)


def expiry_totals(rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """The two figures from the rows of `enterprise_expiry_arms`."""
    totals = {"expiring_count": 0, "expired_count": 0}
    for row in rows:
        totals["expired_count"] += row[-2]
        totals["expiring_count"] += row[-1]
    return totals


def expiry_counts(*, enterprises: QuerySet[Enterprise] | None = None, today: dt.date | None = None) -> dict[str, int]:
    """The two figures of the home pages: expiring within 90 days, and expired. The same counts
    as `expiry_bands`, every kind of certificate in one query (UNION ALL of one aggregate per
    kind)."""
    return expiry_totals(_expiry_counts_query(enterprises, today or timezone.localdate()))


def enterprise_expiry_counts(enterprise_id: int, today: dt.date | None = None) -> dict[str, int]:
    """`expiry_counts` of one enterprise's own certificates (its home page), the query's SQL
    written once a day and kind of database (laowu/core/prepared.py): the day is in its key."""
    today = today or timezone.localdate()
    rows = prepared.run(
        ("reminders.expiry_counts", today),
        lambda eid: _expiry_counts_query(eid, today),
        enterprise_id,
    )
    return expiry_totals(rows)


def expiry_summary(*, enterprises: QuerySet[Enterprise], today: dt.date | None = None) -> dict[str, int | str]:
    """The home pages' two figures, as `expiry_counts` but each count reading at most
    COUNT_LIMIT rows: a province's committee would otherwise count every expired
    certificate on each visit. Beyond the limit the figure reads "10000+".

    Two capped counts per kind, all in one statement (laowu/core/pagination.py
    `counts_upto`): each count is planned as on its own, and the page waits for one round trip
    instead of one per count."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=HORIZON_DAYS)
    arms: list[tuple[str, QuerySet[Any]]] = []
    for source in sources():
        field = source.approved_field
        on_file = _on_file(source, enterprises)
        for key, where in (
            ("expired_count", {f"{field}__lt": today}),
            ("expiring_count", {f"{field}__gte": today, f"{field}__lte": horizon}),
        ):
            arms.append((key, on_file.filter(**where)))
    totals = {"expiring_count": 0, "expired_count": 0}
    capped = set()
    for (key, _), n in zip(arms, counts_upto([qs for _, qs in arms], COUNT_LIMIT + 1), strict=True):
        totals[key] += n
        if n > COUNT_LIMIT:
            capped.add(key)
    return {key: f"{min(n, COUNT_LIMIT)}+" if key in capped else n for key, n in totals.items()}


def expiry_segments(
    *, user: Any, q: str = "", kind: str = "", bucket: str = "", today: dt.date | None = None
) -> list[QuerySet[Filing]]:
    """The list page, one queryset per kind of certificate (most urgent first within each):
    the committee sees its districts' enterprises, an enterprise its own. Turn a page's rows
    into items with `as_items`."""
    today = today or timezone.localdate()
    scope = enterprises_in_scope(user)
    return [
        _listed(_expiring(source, scope, today, bucket=bucket, q=q.strip()), source).annotate(
            expiry_kind=Value(source.kind)
        )
        for source in sources()
        if not kind or source.kind == kind
    ]


def _listed(qs: QuerySet[Filing], source: Source) -> QuerySet[Filing]:
    """The columns the list and its export show (`_item`, ExpiryItem's links) and the order's:
    neither the filing's sealed values (a person's ID number and phone) nor the enterprise's
    sealed phone are read, and the approved revision's snapshot (its personal rows unsealed on
    load, laowu/review/fields.py) is read by `as_items` only for a filing in a 变更, whose
    approved values are not its own columns."""
    return (
        qs.select_related(None)
        .select_related("enterprise")
        .only(
            "state",
            "approved_submission",
            source.approved_field,
            *_shown_fields(source),
            "enterprise__name",
            "enterprise__credit_code",
        )
    )


def as_items(rows: Iterable[Filing], today: dt.date | None = None) -> list[ExpiryItem]:
    today = today or timezone.localdate()
    by_kind = {source.kind: source for source in sources()}
    rows = list(rows)
    # The snapshots of the few filings in a 变更, in one query (none when the rows have them).
    prefetch_related_objects([row for row in rows if row.state != State.APPROVED], "approved_submission")
    return [_item(by_kind[row.expiry_kind], row, today) for row in rows]  # type: ignore[attr-defined]


def expiry_list(
    *, user: Any, q: str = "", kind: str = "", bucket: str = "", today: dt.date | None = None
) -> list[ExpiryItem]:
    """Every item of `expiry_segments`, in the same order (for the export)."""
    today = today or timezone.localdate()
    segments = expiry_segments(user=user, q=q, kind=kind, bucket=bucket, today=today)
    return [item for segment in segments for item in as_items(segment.iterator(chunk_size=2000), today)]


def _sent(
    items: Iterable[ExpiryItem], read: Callable[[QuerySet[ExpiryReminder]], Iterable[Any]]
) -> dict[tuple[Any, ...], list[Any]]:
    """The reminders already sent for these items as `read` reads them, by item key, earliest
    first: every kind of filing's in one statement."""
    items = list(items)
    if not items:
        return {}
    by_model: dict[type[Model], set[int]] = {}
    for item in items:
        by_model.setdefault(item.source.model, set()).add(item.subject.pk)
    models = {ContentType.objects.get_for_model(model).pk: model for model in by_model}
    wanted = Q()
    for type_id, model in models.items():
        wanted |= Q(subject_type_id=type_id, subject_id__in=sorted(by_model[model]))
    found: dict[tuple[Any, ...], list[Any]] = {}
    for reminder in read(ExpiryReminder.objects.filter(wanted).order_by("created_at", "id")):
        key = (models[reminder.subject_type_id], reminder.subject_id, reminder.field, reminder.expires_on)
        found.setdefault(key, []).append(reminder)
    return found


def reminders_for(items: Iterable[ExpiryItem]) -> dict[tuple[Any, ...], list[ExpiryReminder]]:
    """The reminders already sent for these items, by item key, earliest first (the run, which
    updates them)."""
    return _sent(items, lambda qs: qs)


# What the list's 提醒记录 cell and the export's note show of a reminder
# (laowu/supervision/views/reminders.py `_sent_html`, `_reminder_note`), and its item's key.
SHOWN_SENT_COLUMNS = (
    "subject_type_id",
    "subject_id",
    "field",
    "expires_on",
    "threshold",
    "created_at",
    "sms_sent",
    "sms_error",
)


def sent_for(items: Iterable[ExpiryItem]) -> dict[tuple[Any, ...], list[Any]]:
    """`reminders_for` as the list and its export show them: named tuples of SHOWN_SENT_COLUMNS,
    no model instance per reminder."""
    return _sent(items, lambda qs: qs.values_list(*SHOWN_SENT_COLUMNS, named=True))


# ---------------------------------------------------------------- sending


SMS_RETRYING = "重试发送中"


@dataclasses.dataclass
class ReminderRun:
    checked: int = 0  # items within 90 days
    reminded: int = 0  # new reminders (each: one message and one SMS attempt)
    sms_sent: int = 0
    sms_failed: int = 0
    sms_queued: int = 0  # handed to the background worker, outcome not known yet
    sms_retried: int = 0  # SMS of earlier reminders tried again after a failure
    reminder_ids: list[int] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        return (
            f"检查到{self.checked}项90天内到期（含已过期）的证照，新发送提醒{self.reminded}条，"
            f"短信成功{self.sms_sent}条、失败{self.sms_failed}条"
            + (f"、已交后台发送{self.sms_queued}条" if self.sms_queued else "")
            + (f"（其中重发{self.sms_retried}条）" if self.sms_retried else "")
            + "。"
        )


def sms_params(item: ExpiryItem) -> dict[str, str]:
    """The notice template's variables, in the order 腾讯云 numbers them."""
    return {
        "cert": item.label,
        "holder": item.holder[:SMS_HOLDER_MAX],
        "date": item.expires_on.isoformat(),
        "status": item.status_text,
    }


def sms_text(params: Mapping[str, str]) -> str:
    """The message as the phone shows it; the providers' notice template says the same."""
    return (
        f"【{PLATFORM_SIGN}】您单位的{params['cert']}（{params['holder']}）有效期至{params['date']}，"
        f"{params['status']}，请及时办理延续并在平台更新信息。"
    )


def _message(item: ExpiryItem) -> tuple[str, str]:
    title = f"证照到期提醒：{item.holder}的{item.label}{item.status_text}"
    number = f"（编号：{item.number}）" if item.number else ""
    body = (
        f"您单位{item.holder}的{item.label}{number}有效期至{item.expires_on:%Y年%m月%d日}，{item.status_text}。"
        f"请及时办理延续或换证，并在“{item.source.fix_where}”中更新有效期、上传新证书后重新申报。"
    )
    return title, body


def _record_reminder(item: ExpiryItem) -> ExpiryReminder | None:
    """Record the reminder and the 站内消息 together; None when this threshold was already told."""
    try:
        with transaction.atomic(durable=True):
            reminder = ExpiryReminder.objects.create(
                enterprise=item.enterprise,
                subject_type=ContentType.objects.get_for_model(item.source.model),
                subject_id=item.subject.pk,
                field=item.field,
                label=item.label,
                holder=item.holder[:200],
                expires_on=item.expires_on,
                threshold=item.threshold,
            )
            title, body = _message(item)
            send_message(enterprise=item.enterprise, title=title, body=body, link=item.enterprise_link)
    except IntegrityError:
        # Another run recorded it first (the unique key); it sends the SMS, not us.
        return None
    return reminder


# `SmsMessage.ref` of a reminder's SMS, so that its outcome finds its way back (`on_sms_settled`).
REF_PREFIX = "expiry:"


def _queue_sms(item: ExpiryItem, reminder: ExpiryReminder) -> str:
    """Hand the reminder's SMS to the background worker, after the reminder committed: a failed
    SMS leaves the reminder and the message in place and says why, instead of undoing them.
    Returns "sent" or "failed" when the outcome is already known (a missing phone; the tests'
    immediate task backend), else "queued"; the worker's outcome arrives by `on_sms_settled`."""
    phone = (item.enterprise.contact_phone or "").strip()
    if not phone:
        logger.warning("证照到期提醒短信未发送：提醒 %s：企业未登记联系人手机号码", reminder.pk)
        ExpiryReminder.objects.filter(pk=reminder.pk).update(sms_sent=False, sms_error="企业未登记联系人手机号码")
        return "failed"
    params = sms_params(item)
    with transaction.atomic(durable=True):
        message = queue_sms(
            kind=SmsKind.NOTICE,
            phone=phone,
            purpose=EXPIRY_NOTICE,
            template=EXPIRY_NOTICE,
            text=sms_text(params),
            params=params,
            ref=f"{REF_PREFIX}{reminder.pk}",
        )
    message.refresh_from_db(fields=["status"])
    if message.status == SmsStatus.SENT:
        return "sent"
    if message.status in (SmsStatus.RETRYING, SmsStatus.FAILED):
        return "failed"
    return "queued"


def on_sms_settled(sender: Any, message: SmsMessage, final: bool, **kwargs: Any) -> None:
    """A reminder's SMS was sent, or failed (a retry may follow): the list says which."""
    if not message.ref.startswith(REF_PREFIX):
        return
    pk = int(message.ref.removeprefix(REF_PREFIX))
    if message.status == SmsStatus.SENT:
        ExpiryReminder.objects.filter(pk=pk).update(sms_sent=True, sms_error="")
    else:
        ExpiryReminder.objects.filter(pk=pk).update(sms_sent=False, sms_error=message.last_error[:200])


def _sms_in_queue(reminder: ExpiryReminder) -> bool:
    """The reminder's SMS is still the worker's (waiting, or between retries)."""
    waiting = (SmsStatus.PENDING, SmsStatus.SENDING, SmsStatus.RETRYING)
    return SmsMessage.objects.filter(ref=f"{REF_PREFIX}{reminder.pk}", status__in=waiting).exists()


def _count(run: ReminderRun, outcome: str) -> None:
    if outcome == "sent":
        run.sms_sent += 1
    elif outcome == "failed":
        run.sms_failed += 1
    else:
        run.sms_queued += 1


def send_expiry_reminders(
    today: dt.date | None = None,
    *,
    enterprises: QuerySet[Enterprise] | None = None,
    actor: Any = None,
    request: HttpRequest | None = None,
) -> ReminderRun:
    """Tell each enterprise of every certificate that reached a new threshold (the daily run).

    ``enterprises`` limits the run (a reviewer's button covers the reviewer's districts);
    ``actor`` is None for the cron job.
    """
    today = today or timezone.localdate()
    items = expiring_items(enterprises=enterprises, today=today)
    run = ReminderRun(checked=len(items))
    told = reminders_for(items)
    for item in items:
        earlier = [r for r in told.get(item.key, ()) if r.threshold == item.threshold]
        if earlier:
            # Told on the site already; an SMS that failed is tried again on each run while the
            # threshold lasts. Claimed with a conditional update, so two runs never both send it.
            failed = earlier[0]
            if failed.sms_sent or not failed.sms_error or _sms_in_queue(failed):
                continue
            claimed = ExpiryReminder.objects.filter(pk=failed.pk, sms_sent=False, sms_error=failed.sms_error)
            if not claimed.update(sms_error=SMS_RETRYING):
                continue
            run.sms_retried += 1
            _count(run, _queue_sms(item, failed))
            continue
        reminder = _record_reminder(item)
        if reminder is None:
            continue
        run.reminded += 1
        run.reminder_ids.append(reminder.pk)
        _count(run, _queue_sms(item, reminder))
    record(
        action=Action.EXPIRY_REMIND,
        request=request,
        user=actor,
        username="" if actor is not None else CRON_USERNAME,
        detail={
            "today": today.isoformat(),
            "scope": "all" if enterprises is None else "districts",
            "checked": run.checked,
            "reminded": run.reminded,
            "sms_sent": run.sms_sent,
            "sms_failed": run.sms_failed,
            "sms_queued": run.sms_queued,
            "sms_retried": run.sms_retried,
            "reminders": run.reminder_ids[:500],
        },
    )
    return run
