"""不良行为记录, its public 不良行为公示 and 提前移出: services and selectors.

A record is written as a 草稿, 发布 makes it 公示中, and the public list shows it from its
start to its end date; 已到期 is never stored, it is the date passing. Each write is one
durable transaction: lock the rows, re-check the state the database holds now (a second
click or a second clerk is told plainly), validate, save, audit. The enterprise is told of
every decision about its record through a 站内消息 sent in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from laowu.accounts.scope import is_enterprise_user
from laowu.audit.services import Action, record
from laowu.core.fields import index_value
from laowu.core.validators import validate_id_number
from laowu.enterprises.models import Enterprise
from laowu.personnel.models import ID_INDEX_CONTEXT

from .messaging import send_message
from .models import (
    EARLY_REMOVAL_MIN_MONTHS,
    PUBLICITY_MAX_YEARS,
    PUBLICITY_MIN_MONTHS,
    BadBehaviour,
    BadBehaviourStatus,
    Grade,
    RemovalApplication,
    RemovalStatus,
)
from .notifications import BAD_BEHAVIOUR_PUBLISHED, Sms, notify
from .permissions import in_scope
from .search import ENTERPRISE, matching, through

# What the committee fills in; everything else is written by the actions below.
RECORD_FIELDS = (
    "person_name",
    "person_id_number",
    "grade",
    "category",
    "facts",
    "legal_basis",
    "decision_no",
    "decision_date",
    "points",
    "issuer",
    "publicity_start",
    "publicity_end",
)
DEFAULT_ISSUER = "苏州市相城区建筑业协会建筑劳务专业委员会"
MAX_POINTS = 100
OPEN_REMOVAL = (RemovalStatus.DRAFT, RemovalStatus.PENDING)


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def publicity_bounds(start: dt.date) -> tuple[dt.date, dt.date]:
    return BadBehaviour(publicity_start=start).publicity_bounds


def record_problems(values: Mapping[str, Any], *, today: dt.date | None = None) -> dict[str, str]:
    """Field → message for the rules a record's own fields must keep (the form shows the same)."""
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    name = (values.get("person_name") or "").strip()
    id_number = (values.get("person_id_number") or "").strip().upper()
    if id_number:
        try:
            validate_id_number(id_number, today=today)
        except ValidationError as exc:
            problems["person_id_number"] = exc.messages[0]
    if name and not id_number:
        problems.setdefault("person_id_number", "填写当事人员时，请同时填写其身份证号。")
    if id_number and not name:
        problems["person_name"] = "填写身份证号时，请同时填写当事人员姓名。"
    points = values.get("points")
    if points is not None and points > MAX_POINTS:
        problems["points"] = f"扣分不能超过{MAX_POINTS}分。"
    start, end, decided = values.get("publicity_start"), values.get("publicity_end"), values.get("decision_date")
    if decided and decided > today:
        problems["decision_date"] = "决定日期不能晚于今天。"
    elif decided and start and decided > start:
        problems["decision_date"] = "决定日期不能晚于公示开始日期。"
    if start and end:
        low, high = publicity_bounds(start)
        if not low <= end <= high:
            problems["publicity_end"] = (
                f"公示期限为{PUBLICITY_MIN_MONTHS}个月至{PUBLICITY_MAX_YEARS}年："
                f"公示截止日期应在{cn_date(low)}至{cn_date(high)}之间。"
            )
    return problems


def removal_refusal(rec: BadBehaviour, *, today: dt.date | None = None) -> str | None:
    """Why the record cannot leave publicity early today, or None when it can."""
    today = today or timezone.localdate()
    if rec.status != BadBehaviourStatus.PUBLISHED or not rec.publicity_start <= today <= rec.publicity_end:
        return "该记录当前不在公示期内，不能提前移出。"
    if today < rec.earliest_removal:
        return (
            f"公示满{EARLY_REMOVAL_MIN_MONTHS}个月后方可提前移出："
            f"本记录自{cn_date(rec.publicity_start)}起公示，最早可于{cn_date(rec.earliest_removal)}提前移出。"
        )
    return None


def _refuse(rec: BadBehaviour, action: str) -> ValidationError:
    return ValidationError(f"该记录当前为“{rec.display_status_label}”，不能{action}。请刷新页面后查看。")


def _lock_record(pk: int) -> BadBehaviour:
    # of=self: locking the joined enterprise row too would take locks in another order than
    # update_record does, and the two could deadlock on PostgreSQL.
    return BadBehaviour.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=pk)


def _check_record(rec: BadBehaviour) -> None:
    problems = record_problems({name: getattr(rec, name) for name in RECORD_FIELDS})
    duplicate = (
        BadBehaviour.objects.filter(
            enterprise_id=rec.enterprise_id,
            decision_no=rec.decision_no,
            person_id_index=index_value(rec.person_id_number or "", context=ID_INDEX_CONTEXT),
        )
        .exclude(status=BadBehaviourStatus.REVOKED)
        .exclude(pk=rec.pk)
    )
    if rec.decision_no and "decision_no" not in problems and duplicate.exists():
        problems["decision_no"] = "该企业已登记此决定书文号的不良行为记录，请勿重复登记。"
    if problems:
        raise ValidationError(problems)
    rec.full_clean()


def _clean_data(data: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: data[name] for name in RECORD_FIELDS if name in data}
    for name in ("person_name", "decision_no", "issuer"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "person_id_number" in values:
        values["person_id_number"] = (values["person_id_number"] or "").strip().upper()
    return values


def create_record(
    *, enterprise: Enterprise, data: Mapping[str, Any], actor: Any, request: HttpRequest | None = None
) -> BadBehaviour:
    """登记: a new 草稿 of a bad behaviour of the enterprise (or of one of its people)."""
    with transaction.atomic(durable=True):
        # One clerk's double submit (or two clerks) must not register the same decision twice.
        Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        rec = BadBehaviour(enterprise=enterprise, created_by=actor, **_clean_data(data))
        _check_record(rec)
        rec.save()
        record(
            action=Action.BAD_BEHAVIOUR_SAVE,
            request=request,
            user=actor,
            obj=rec,
            detail={"created": True, "decision_no": rec.decision_no, "grade": rec.grade},
        )
    return rec


def update_record(
    *, rec: BadBehaviour, data: Mapping[str, Any], actor: Any, request: HttpRequest | None = None
) -> BadBehaviour:
    """编辑: only a 草稿 changes; a published record is revoked, never rewritten."""
    with transaction.atomic(durable=True):
        Enterprise.objects.select_for_update().get(pk=rec.enterprise_id)
        locked = _lock_record(rec.pk)
        if locked.status != BadBehaviourStatus.DRAFT:
            raise _refuse(locked, "修改")
        changed = []
        for name, value in _clean_data(data).items():
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        _check_record(locked)
        locked.save()
        record(action=Action.BAD_BEHAVIOUR_SAVE, request=request, user=actor, obj=locked, detail={"changed": changed})
    return locked


def delete_record(*, rec: BadBehaviour, actor: Any, request: HttpRequest | None = None) -> None:
    """删除: a 草稿 only; nothing of it was ever shown to the enterprise or the public."""
    with transaction.atomic(durable=True):
        try:
            locked = _lock_record(rec.pk)
        except BadBehaviour.DoesNotExist:
            return  # already deleted by a second click: the outcome wanted
        if locked.status != BadBehaviourStatus.DRAFT:
            raise _refuse(locked, "删除")
        record(
            action=Action.BAD_BEHAVIOUR_DELETE,
            request=request,
            user=actor,
            obj=locked,
            detail={"decision_no": locked.decision_no, "enterprise": locked.enterprise_id},
        )
        locked.attachments.all().delete()
        locked.delete()


def publish(*, rec: BadBehaviour, actor: Any, request: HttpRequest | None = None) -> BadBehaviour:
    """发布: 草稿 → 公示中; the public list shows it from its start date."""
    with transaction.atomic(durable=True):
        locked = _lock_record(rec.pk)
        if locked.status != BadBehaviourStatus.DRAFT:
            raise _refuse(locked, "发布")
        _check_record(locked)
        today = timezone.localdate()
        if locked.publicity_start < today:
            # A start already past would shorten the publicity actually served (6 months at
            # least) and bring the 3-month early-removal date forward.
            raise ValidationError(
                {"publicity_start": "公示开始日期已过：请把公示开始日期改为今天或以后，并相应调整截止日期。"}
            )
        locked.status = BadBehaviourStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at", "updated_at"])
        when = "今日起" if locked.publicity_start <= today else f"{cn_date(locked.publicity_start)}起"
        notify(
            enterprise=locked.enterprise,
            title=f"不良行为记录公示通知（{locked.decision_no}）",
            body=(
                f"贵单位的不良行为记录（决定书文号：{locked.decision_no}，{locked.get_grade_display()}，"
                f"{locked.get_category_display()}）已由{locked.issuer}发布，自{when}在不良行为公示栏公示，"
                f"至{cn_date(locked.publicity_end)}止。完成整改的，可于{cn_date(locked.earliest_removal)}"
                "起凭整改证明材料申请提前移出。"
            ),
            link=locked.get_absolute_url(),
            sms=Sms(BAD_BEHAVIOUR_PUBLISHED, {"decision_no": locked.decision_no}),
        )
        record(
            action=Action.BAD_BEHAVIOUR_PUBLISH,
            request=request,
            user=actor,
            obj=locked,
            detail={"start": locked.publicity_start.isoformat(), "end": locked.publicity_end.isoformat()},
        )
    return locked


def revoke(*, rec: BadBehaviour, reason: str, actor: Any, request: HttpRequest | None = None) -> BadBehaviour:
    """撤销: a published record leaves the public list for good, with the reason on record."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤销原因。"})
    with transaction.atomic(durable=True):
        locked = _lock_record(rec.pk)
        if locked.status != BadBehaviourStatus.PUBLISHED:
            raise _refuse(locked, "撤销")
        now = timezone.now()
        locked.status = BadBehaviourStatus.REVOKED
        locked.revoke_reason = reason
        locked.revoked_at = now
        locked.save(update_fields=["status", "revoke_reason", "revoked_at", "updated_at"])
        # An open early-removal application has nothing left to decide. A submitted one is
        # closed on record; an unsent draft is the enterprise's own and simply goes away.
        open_applications = list(
            RemovalApplication.objects.select_for_update().filter(record=locked, status__in=OPEN_REMOVAL)
        )
        ended = bool(open_applications)
        for application in open_applications:
            if application.status == RemovalStatus.DRAFT:
                application.attachments.all().delete()
                application.delete()
        RemovalApplication.objects.filter(record=locked, status=RemovalStatus.PENDING).update(
            status=RemovalStatus.REJECTED,
            decided_by=actor,
            decided_at=now,
            decision_note="该不良行为记录已撤销，本申请自动终止。",
        )
        send_message(
            enterprise=locked.enterprise,
            title=f"不良行为记录已撤销（{locked.decision_no}）",
            body=(
                f"贵单位的不良行为记录（决定书文号：{locked.decision_no}）已撤销，不再公示。撤销原因：{reason}"
                + ("。贵单位就该记录提出的提前移出申请随之终止。" if ended else "")
            ),
            link=locked.get_absolute_url(),
        )
        record(
            action=Action.BAD_BEHAVIOUR_REVOKE,
            request=request,
            user=actor,
            obj=locked,
            detail={"reason": reason[:500], "closed_removals": [a.pk for a in open_applications]},
        )
    return locked


# ---------------------------------------------------------------- 提前移出


def create_removal(
    *, rec: BadBehaviour, rectification: str, actor: Any, request: HttpRequest | None = None
) -> RemovalApplication:
    """申请提前移出: a 草稿 application; evidence is uploaded to it before 提交."""
    rectification = (rectification or "").strip()
    if not rectification:
        raise ValidationError({"rectification": "请填写整改情况。"})
    with transaction.atomic(durable=True):
        locked = _lock_record(rec.pk)
        refusal = removal_refusal(locked)
        if refusal:
            raise ValidationError(refusal)
        if locked.removals.filter(status__in=OPEN_REMOVAL).exists():
            raise ValidationError("该记录已有未办结的提前移出申请，请在原申请中继续办理。")
        application = RemovalApplication(
            record=locked, enterprise=locked.enterprise, rectification=rectification, created_by=actor
        )
        application.full_clean()
        application.save()
        record(action=Action.REMOVAL_SAVE, request=request, user=actor, obj=application, detail={"created": True})
    return application


def _lock_removal(application: RemovalApplication) -> tuple[BadBehaviour, RemovalApplication]:
    # Record first, then application: the order every action here takes, so none deadlocks.
    rec = _lock_record(application.record_id)
    locked = RemovalApplication.objects.select_for_update().get(pk=application.pk)
    return rec, locked


def update_removal(
    *, application: RemovalApplication, rectification: str, actor: Any, request: HttpRequest | None = None
) -> RemovalApplication:
    rectification = (rectification or "").strip()
    if not rectification:
        raise ValidationError({"rectification": "请填写整改情况。"})
    with transaction.atomic(durable=True):
        _, locked = _lock_removal(application)
        if locked.status != RemovalStatus.DRAFT:
            raise ValidationError(f"该申请当前为“{locked.state_label}”，不能修改。")
        locked.rectification = rectification
        locked.full_clean()
        locked.save(update_fields=["rectification"])
        record(action=Action.REMOVAL_SAVE, request=request, user=actor, obj=locked)
    return locked


def submit_removal(
    *, application: RemovalApplication, actor: Any, request: HttpRequest | None = None
) -> RemovalApplication:
    """提交: to the committee, with the evidence attached."""
    from laowu.documents.services import missing_required_kinds

    with transaction.atomic(durable=True):
        rec, locked = _lock_removal(application)
        if locked.status != RemovalStatus.DRAFT:
            raise ValidationError(f"该申请当前为“{locked.state_label}”，不能提交。请刷新页面后查看。")
        refusal = removal_refusal(rec)
        if refusal:
            raise ValidationError(refusal)
        missing = missing_required_kinds(locked)
        if missing:
            raise ValidationError("请先上传" + "、".join(k.label for k in missing) + "。")
        locked.status = RemovalStatus.PENDING
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at"])
        record(action=Action.REMOVAL_SUBMIT, request=request, user=actor, obj=locked, detail={"record": rec.pk})
    return locked


def decide_removal(
    *, application: RemovalApplication, approve: bool, note: str, actor: Any, request: HttpRequest | None = None
) -> RemovalApplication:
    """同意 / 不同意. 同意 ends the publicity yesterday, so the record leaves the public list today."""
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": "请填写不同意的理由。"})
    with transaction.atomic(durable=True):
        rec, locked = _lock_removal(application)
        if locked.status != RemovalStatus.PENDING:
            raise ValidationError(f"该申请当前为“{locked.state_label}”，不能审核（可能他人已审核），请刷新页面。")
        today = timezone.localdate()
        if approve:
            refusal = removal_refusal(rec, today=today)
            if refusal:
                raise ValidationError(refusal)
            original_end = rec.publicity_end
            rec.ended_early_on = today
            rec.publicity_end = today - dt.timedelta(days=1)
            rec.save(update_fields=["ended_early_on", "publicity_end", "updated_at"])
        locked.status = RemovalStatus.APPROVED if approve else RemovalStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        subject = f"贵单位就不良行为记录（决定书文号：{rec.decision_no}）提出的提前移出申请"
        if approve:
            body = f"{subject}已获同意，该记录已于{cn_date(today)}移出公示。" + (f"审核意见：{note}" if note else "")
        else:
            body = f"{subject}未获同意。审核意见：{note}"
        send_message(
            enterprise=rec.enterprise,
            title=f"提前移出申请{'已同意' if approve else '未获同意'}（{rec.decision_no}）",
            body=body,
            link=locked.get_absolute_url(),
        )
        record(
            action=Action.REMOVAL_DECIDE,
            request=request,
            user=actor,
            obj=locked,
            # The decided end date is overwritten on approval: keep it here.
            detail={
                "record": rec.pk,
                "approved": approve,
                "note": note[:500],
                **({"original_end": original_end.isoformat()} if approve else {}),
            },
        )
    return locked


# ---------------------------------------------------------------- selectors


def has_open_removal() -> Exists:
    return Exists(RemovalApplication.objects.filter(record=OuterRef("pk"), status=RemovalStatus.PENDING))


def filter_status(qs: QuerySet[BadBehaviour], status: str, *, today: dt.date | None = None) -> QuerySet[BadBehaviour]:
    """公示中 and 已到期 are one stored state split by the end date."""
    today = today or timezone.localdate()
    if status == BadBehaviourStatus.PUBLISHED:
        return qs.filter(status=BadBehaviourStatus.PUBLISHED, publicity_end__gte=today)
    if status == BadBehaviourStatus.EXPIRED:
        return qs.filter(status=BadBehaviourStatus.PUBLISHED, publicity_end__lt=today)
    if status in (BadBehaviourStatus.DRAFT, BadBehaviourStatus.REVOKED):
        return qs.filter(status=status)
    return qs


def record_list(
    *,
    user: Any,
    q: str = "",
    grade: str = "",
    category: str = "",
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[BadBehaviour]:
    """The committee's records of its districts, or the enterprise's own (never drafts)."""
    qs = in_scope(user, BadBehaviour).select_related("enterprise").annotate(removal_pending=has_open_removal())
    if grade:
        qs = qs.filter(grade=grade)
    if category:
        qs = qs.filter(category=category)
    qs = filter_status(qs, status)
    # A record "in the range" was in publicity at some day of it.
    if date_from:
        qs = qs.filter(publicity_end__gte=date_from)
    if date_to:
        qs = qs.filter(publicity_start__lte=date_to)
    qs = qs.order_by("-publicity_start", "-id")
    return matching(qs, q or "", (*through("enterprise", ENTERPRISE), "decision_no", "person_name"))


# What the committee's list shows (laowu/supervision/views/bad_behaviour.py `_record_rows`) and its
# order's keys, as named tuples: no model instance per row, and neither the record's sealed ID
# number nor the enterprise's sealed phone read, let alone opened, for a page that shows neither.
# `pk`: a search's page is read by id (laowu/core/pagination.py `_rows_by_id`).
RECORD_ROW_COLUMNS = (
    "pk",
    "id",
    "enterprise__name",
    "decision_no",
    "grade",
    "category",
    "person_name",
    "points",
    "publicity_start",
    "publicity_end",
    "status",
    "ended_early_on",
    "removal_pending",
)


def record_rows(*, user: Any, **filters: Any) -> QuerySet[Any]:
    """`record_list` as the committee's page shows it: the shown columns only."""
    return record_list(user=user, **filters).values_list(*RECORD_ROW_COLUMNS, named=True)


# What the enterprise's own list shows (laowu/supervision/views/bad_behaviour.py `_own_record_rows`)
# and its order's keys: no enterprise (its own), the issuer instead, and, as the committee's, not
# the sealed ID number.
OWN_RECORD_ROW_COLUMNS = (
    "pk",
    "id",
    "decision_no",
    "grade",
    "category",
    "person_name",
    "points",
    "issuer",
    "publicity_start",
    "publicity_end",
    "status",
    "ended_early_on",
    "removal_pending",
)


def own_record_rows(*, user: Any, **filters: Any) -> QuerySet[Any]:
    """`record_list` as the enterprise's own page shows it: the shown columns only."""
    return record_list(user=user, **filters).values_list(*OWN_RECORD_ROW_COLUMNS, named=True)


def removal_list(*, user: Any, status: str = RemovalStatus.PENDING, q: str = "") -> QuerySet[RemovalApplication]:
    """The committee's 提前移出申请 of its districts; an enterprise's unsent drafts are not shown."""
    qs = in_scope(user, RemovalApplication).select_related("record", "enterprise").exclude(status=RemovalStatus.DRAFT)
    if status:
        qs = qs.filter(status=status)
    # Pending ones are worked oldest first.
    qs = qs.order_by("submitted_at", "id") if status == RemovalStatus.PENDING else qs.order_by("-submitted_at", "-id")
    return matching(qs, q or "", (*through("enterprise", ENTERPRISE), "record__decision_no"))


# What the committee's 提前移出申请 list shows (laowu/supervision/views/bad_behaviour.py
# `_removal_rows`) and its order's keys: the record's sealed ID number and the enterprise's
# sealed phone are neither read nor opened.
REMOVAL_ROW_COLUMNS = (
    "pk",
    "id",
    "enterprise__name",
    "record_id",
    "record__decision_no",
    "record__publicity_start",
    "record__publicity_end",
    "rectification",
    "submitted_at",
    "status",
)


def removal_rows(*, user: Any, status: str = RemovalStatus.PENDING, q: str = "") -> QuerySet[Any]:
    """`removal_list` as the committee's page shows it: the shown columns only."""
    return removal_list(user=user, status=status, q=q).values_list(*REMOVAL_ROW_COLUMNS, named=True)


def pending_removal_count(*, user: Any) -> int:
    return in_scope(user, RemovalApplication).filter(status=RemovalStatus.PENDING).count()


def visible_removals(*, user: Any, rec: BadBehaviour) -> QuerySet[RemovalApplication]:
    """A record's applications: the enterprise sees all of its own, the committee all but drafts."""
    qs = in_scope(user, RemovalApplication).filter(record=rec)
    if not is_enterprise_user(user):
        qs = qs.exclude(status=RemovalStatus.DRAFT)
    return qs.select_related("decided_by").order_by("-created_at", "-id")


def open_removal(rec: BadBehaviour) -> RemovalApplication | None:
    return rec.removals.filter(status__in=OPEN_REMOVAL).first()


def public_list(*, q: str = "", grade: str = "", category: str = "") -> QuerySet[BadBehaviour]:
    """不良行为公示: what is in publicity today, found by the enterprise's name or credit code."""
    # Only the columns the rows show (laowu/supervision/views/bad_behaviour.py `_public_rows`;
    # the order's are among them): the page shows a person's name masked and no ID number or
    # phone, so the record's sealed ID number and the enterprise's sealed phone are not read,
    # let alone opened (tests/supervision/test_public_rows.py).
    qs = (
        BadBehaviour.objects.in_publicity()
        .select_related("enterprise")
        .only(
            "enterprise__name",
            "enterprise__credit_code",
            "person_name",
            "grade",
            "category",
            "decision_no",
            "publicity_start",
            "publicity_end",
        )
    )
    if grade in Grade.values:
        qs = qs.filter(grade=grade)
    if category:
        qs = qs.filter(category=category)
    return matching(qs.order_by("-publicity_start", "-id"), q or "", through("enterprise", ENTERPRISE))


def public_record(pk: Any) -> BadBehaviour | None:
    try:
        return BadBehaviour.objects.in_publicity().select_related("enterprise").get(pk=pk)
    except (BadBehaviour.DoesNotExist, ValueError, TypeError):
        return None
