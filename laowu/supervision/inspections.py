"""现场检查 and its rectification loop: services (writes) and selectors (reads).

The committee records an inspection of a filed project as a draft, then 发出 it: with
problems to fix it becomes a 整改通知 (整改中) with a deadline and a number; otherwise it is
closed at once. The enterprise replies in rounds (整改回复 with evidence, 提交 → 待复查);
the committee re-inspects and passes (已闭环) or returns it (整改中 again, maybe with a new
deadline). Each action is one durable transaction that locks the inspection first (and the
reply second, always in that order), re-checks the state the database holds now, and
writes its audit row, so a double click or two clerks at once cannot both win.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from laowu.accounts.scope import is_committee
from laowu.audit.services import Action, record
from laowu.contracts.models import ProjectFiling
from laowu.documents.services import missing_required_kinds
from laowu.review.models import State
from laowu.review.permissions import filings_in_scope
from laowu.review.services import WorkflowError

from .messaging import send_message
from .models import (
    INSPECTION_ITEMS,
    Inspection,
    InspectionStatus,
    Rectification,
    RectificationStatus,
)
from .notifications import RECTIFICATION_NOTICE, Sms, notify
from .permissions import in_scope
from .search import ENTERPRISE, PROJECT, matching, through

NOTICE_PREFIX = "XCZG"
# Fields of an inspection the committee writes while it is a draft.
INSPECTION_FIELDS = ("inspected_on", "inspectors", "scores", "problems", "needs_rectification", "deadline")
ITEM_FULL_MARKS = {code: full for code, _, full in INSPECTION_ITEMS}
ITEM_LABELS = {code: label for code, label, _ in INSPECTION_ITEMS}


class InspectionError(WorkflowError):
    """An inspection action refused because of the record's state (shown as is)."""


# ---------------------------------------------------------------- selectors


def inspectable_projects(*, user: Any, q: str = "") -> QuerySet[ProjectFiling]:
    """Projects the committee user may inspect: filed (an approved revision exists), not
    deregistered, of an enterprise in the user's districts; searched by name, number or enterprise."""
    qs = (
        filings_in_scope(user, ProjectFiling)
        .filter(approved_submission__isnull=False)
        .exclude(state=State.DEREGISTERED)
        .select_related("enterprise")
        .order_by("-signed_date", "-id")
    )
    return matching(qs, q or "", (*PROJECT, *through("enterprise", ENTERPRISE)))


def overdue_q(today: dt.date | None = None) -> Q:
    """The database twin of Inspection.is_overdue."""
    today = today or timezone.localdate()
    return Q(status=InspectionStatus.RECTIFYING, deadline__isnull=False, deadline__lt=today)


def inspection_list(
    *,
    user: Any,
    q: str = "",
    enterprise: str = "",
    status: str = "",
    overdue: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Inspection]:
    """What the user may see (enterprises never see drafts), searched and newest first."""
    qs = in_scope(user, Inspection).select_related("project", "enterprise")
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(overdue_q())
    if date_from:
        qs = qs.filter(inspected_on__gte=date_from)
    if date_to:
        qs = qs.filter(inspected_on__lte=date_to)
    qs = qs.order_by("-inspected_on", "-id")
    qs = matching(qs, q or "", (*through("project", PROJECT), "notice_no"))
    return matching(qs, enterprise or "", through("enterprise", ENTERPRISE))


def days_overdue(inspection: Inspection, today: dt.date | None = None) -> int:
    if not inspection.is_overdue or inspection.deadline is None:
        return 0
    return ((today or timezone.localdate()) - inspection.deadline).days


def replies_for(*, user: Any, inspection: Inspection) -> QuerySet[Rectification]:
    """The reply rounds the user may see: the committee never sees the enterprise's unsent drafts."""
    qs = inspection.replies.select_related("reviewed_by").order_by("round")
    if is_committee(user):
        qs = qs.exclude(status=RectificationStatus.DRAFT)
    return qs


def item_rows(inspection: Inspection) -> list[dict[str, Any]]:
    """The checklist with each item's score and whether it lost marks."""
    rows = inspection.item_rows
    for row in rows:
        score = row["score"]
        row["lost"] = score is not None and score < row["full"]
    return rows


def full_marks() -> int:
    return sum(ITEM_FULL_MARKS.values())


# ---------------------------------------------------------------- committee: the inspection


def _clean_scores(scores: Mapping[str, Any]) -> dict[str, int]:
    """Every checklist item scored, each from 0 to its full marks; nothing else kept."""
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for code, label, full in INSPECTION_ITEMS:
        value = scores.get(code)
        if value is None or value == "":
            errors[f"score_{code}"] = f"请填写“{label}”的得分。"
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors[f"score_{code}"] = "请输入整数分值。"
            continue
        if not 0 <= number <= full:
            errors[f"score_{code}"] = f"得分应在 0 至 {full} 分之间。"
            continue
        clean[code] = number
    if errors:
        raise ValidationError(errors)
    return clean


def _apply(inspection: Inspection, data: Mapping[str, Any]) -> list[str]:
    """Write the draft's fields from `data`, compute the total; return the names changed."""
    changed = []
    values = {name: data[name] for name in INSPECTION_FIELDS if name in data}
    errors: dict[str, list[str]] = {}
    if "scores" in values:
        try:
            values["scores"] = _clean_scores(values["scores"])
        except ValidationError as exc:
            # Reported with the other fields' errors below, all at once.
            errors.update(exc.message_dict)
            values.pop("scores")
    if "inspectors" in values:
        values["inspectors"] = (values["inspectors"] or "").strip()
    if "problems" in values:
        values["problems"] = (values["problems"] or "").strip()
    if not values.get("needs_rectification", inspection.needs_rectification):
        # A deadline without a notice would mislead the enterprise and the overdue check.
        values["deadline"] = None
    for name, value in values.items():
        if getattr(inspection, name) != value:
            setattr(inspection, name, value)
            changed.append(name)
    inspection.total_score = sum(inspection.scores.get(code, 0) for code in ITEM_FULL_MARKS)
    try:
        _check_content(inspection)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return changed


def _check_content(inspection: Inspection) -> None:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if inspection.inspected_on and inspection.inspected_on > today:
        errors["inspected_on"] = "检查日期不能晚于今天。"
    if not inspection.inspectors:
        errors["inspectors"] = "请填写检查人员。"
    if inspection.needs_rectification:
        if not inspection.problems:
            errors["problems"] = "需要整改时，请填写发现的问题，整改通知据此下发。"
        if inspection.deadline is None:
            errors["deadline"] = "需要整改时，请填写整改期限。"
        elif inspection.inspected_on and inspection.deadline <= inspection.inspected_on:
            errors["deadline"] = "整改期限应晚于检查日期。"
    if errors:
        raise ValidationError(errors)


def _lock_inspection(inspection: Inspection) -> Inspection:
    return (
        Inspection.objects.select_for_update(of=("self",)).select_related("project", "enterprise").get(pk=inspection.pk)
    )


def _refuse(inspection: Inspection, action: str) -> InspectionError:
    return InspectionError(
        f"该检查记录当前为“{inspection.state_label}”，不能{action}（可能已被他人处理），请刷新页面。"
    )


def create_inspection(
    *, project: ProjectFiling, data: Mapping[str, Any], actor: Any, request: HttpRequest | None = None
) -> Inspection:
    """保存 (新增): a draft inspection of a filed project; only the committee's reviewers see it."""
    with transaction.atomic(durable=True):
        locked = ProjectFiling.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=project.pk)
        if locked.approved_submission_id is None or locked.state == State.DEREGISTERED:
            raise InspectionError("只能检查已审核通过且未注销的项目，请重新选择项目。")
        inspection = Inspection(project=locked, enterprise=locked.enterprise, created_by=actor)
        _apply(inspection, data)
        inspection.full_clean()
        inspection.save()
        record(
            action=Action.INSPECTION_SAVE,
            request=request,
            user=actor,
            obj=inspection,
            detail={"created": True, "project": locked.pk, "total_score": inspection.total_score},
        )
    return inspection


def update_inspection(
    *, inspection: Inspection, data: Mapping[str, Any], actor: Any, request: HttpRequest | None = None
) -> Inspection:
    """保存 (编辑): only while it is a draft."""
    with transaction.atomic(durable=True):
        locked = _lock_inspection(inspection)
        if not locked.is_editable:
            raise _refuse(locked, "修改")
        changed = _apply(locked, data)
        locked.full_clean()
        locked.save()
        record(
            action=Action.INSPECTION_SAVE,
            request=request,
            user=actor,
            obj=locked,
            detail={"changed": changed, "total_score": locked.total_score},
        )
    return locked


def delete_inspection(*, inspection: Inspection, actor: Any, request: HttpRequest | None = None) -> None:
    """删除: a draft only; an issued inspection is a record the enterprise has seen."""
    with transaction.atomic(durable=True):
        try:
            locked = _lock_inspection(inspection)
        except Inspection.DoesNotExist:
            return  # already deleted (a double click): the outcome the user wanted
        if not locked.is_editable:
            raise _refuse(locked, "删除")
        record(
            action=Action.INSPECTION_DELETE,
            request=request,
            user=actor,
            obj=locked,
            detail={"project": locked.project_id, "inspected_on": locked.inspected_on.isoformat()},
        )
        locked.attachments.all().delete()
        locked.delete()


def _next_notice_no(year: int) -> str:
    prefix = f"{NOTICE_PREFIX}-{year}-"
    numbers = [
        int(no[len(prefix) :])
        for no in Inspection.objects.filter(notice_no__startswith=prefix).values_list("notice_no", flat=True)
        if no[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _assign_notice_no(inspection: Inspection, year: int, attempts: int = 10) -> None:
    """A number unique (the database's constraint) and sequential per year.

    Two clerks issuing at once may compute the same next number; the constraint refuses
    the second insert, whose savepoint rolls back, and it takes the number after."""
    for attempt in range(attempts):
        inspection.notice_no = _next_notice_no(year)
        try:
            with transaction.atomic():
                Inspection.objects.filter(pk=inspection.pk).update(notice_no=inspection.notice_no)
            return
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def issue_inspection(*, inspection: Inspection, actor: Any, request: HttpRequest | None = None) -> Inspection:
    """发出: with problems to fix, a 整改通知 goes to the enterprise (整改中); otherwise closed."""
    with transaction.atomic(durable=True):
        locked = _lock_inspection(inspection)
        if not locked.is_editable:
            raise _refuse(locked, "发出")
        _clean_scores(locked.scores)
        _check_content(locked)
        today = timezone.localdate()
        now = timezone.now()
        if locked.needs_rectification and locked.deadline is not None and locked.deadline < today:
            raise ValidationError({"deadline": "整改期限已过，请点击“编辑”修改整改期限后再发出。"})
        locked.issued_at = now
        if locked.needs_rectification:
            _assign_notice_no(locked, today.year)
            # What the printed 整改通知书's QR code carries (rectification_notice.py).
            locked.verify_token = secrets.token_urlsafe(24)
            locked.status = InspectionStatus.RECTIFYING
        else:
            locked.status = InspectionStatus.CLOSED
            locked.closed_at = now
        locked.full_clean()
        locked.save()
        link = locked.get_absolute_url()
        project = locked.project.project_name
        if locked.needs_rectification:
            notify(
                enterprise=locked.enterprise,
                title=f"整改通知：{project}",
                body=(
                    f"区劳务专委会于{locked.inspected_on:%Y年%m月%d日}对“{project}”进行了现场检查，"
                    f"得分{locked.total_score}分，发现问题需要整改（整改通知书编号 {locked.notice_no}）。"
                    f"请于{locked.deadline:%Y年%m月%d日}前完成整改，并在平台提交整改情况及证明材料。"
                ),
                link=link,
                sms=Sms(RECTIFICATION_NOTICE, {"project": project, "deadline": f"{locked.deadline:%Y年%m月%d日}"}),
            )
        else:
            send_message(
                enterprise=locked.enterprise,
                title=f"现场检查结果：{project}",
                body=(
                    f"区劳务专委会于{locked.inspected_on:%Y年%m月%d日}对“{project}”进行了现场检查，"
                    f"得分{locked.total_score}分，无需整改。"
                ),
                link=link,
            )
        record(
            action=Action.INSPECTION_ISSUE,
            request=request,
            user=actor,
            obj=locked,
            detail={
                "status": locked.status,
                "notice_no": locked.notice_no,
                "deadline": locked.deadline.isoformat() if locked.deadline else None,
                "total_score": locked.total_score,
            },
        )
    return locked


# ---------------------------------------------------------------- enterprise: the replies


def _lock_reply(rectification: Rectification) -> tuple[Inspection, Rectification]:
    """Lock the inspection, then the reply: always this order, so two actions never deadlock."""
    inspection = Inspection.objects.select_for_update(of=("self",)).select_related("project", "enterprise")
    locked_inspection = inspection.get(pk=rectification.inspection_id)
    locked = Rectification.objects.select_for_update().get(pk=rectification.pk)
    return locked_inspection, locked


def _clean_content(content: str) -> str:
    content = (content or "").strip()
    if not content:
        raise ValidationError({"content": "请填写整改情况。"})
    return content


def save_reply(
    *, inspection: Inspection, content: str, actor: Any, request: HttpRequest | None = None
) -> Rectification:
    """保存: write the enterprise's open reply (a new round if none is open) while 整改中."""
    content = _clean_content(content)
    with transaction.atomic(durable=True):
        locked = _lock_inspection(inspection)
        if locked.status != InspectionStatus.RECTIFYING:
            raise InspectionError(
                f"该整改通知当前为“{locked.state_label}”，不能填写整改回复"
                + ("（整改回复已提交，等待复查）。" if locked.status == InspectionStatus.REPLIED else "。")
            )
        reply = (
            Rectification.objects.select_for_update()
            .filter(inspection=locked, status=RectificationStatus.DRAFT)
            .first()
        )
        created = reply is None
        if reply is None:
            last = locked.replies.aggregate(last=Max("round"))["last"] or 0
            reply = Rectification(inspection=locked, enterprise=locked.enterprise, round=last + 1, created_by=actor)
        reply.content = content
        reply.full_clean()
        reply.save()
        record(
            action=Action.RECTIFICATION_SAVE,
            request=request,
            user=actor,
            obj=reply,
            detail={"inspection": locked.pk, "round": reply.round, "created": created},
        )
    return reply


def delete_reply(*, rectification: Rectification, actor: Any, request: HttpRequest | None = None) -> None:
    """删除: an unsent reply and its files."""
    with transaction.atomic(durable=True):
        try:
            _, locked = _lock_reply(rectification)
        except Rectification.DoesNotExist:
            return  # already deleted (a double click): the outcome the user wanted
        if not locked.is_editable:
            raise InspectionError(f"该整改回复当前为“{locked.state_label}”，不能删除。")
        record(
            action=Action.RECTIFICATION_SAVE,
            request=request,
            user=actor,
            obj=locked,
            detail={"deleted": True, "inspection": locked.inspection_id, "round": locked.round},
        )
        locked.attachments.all().delete()
        locked.delete()


def submit_reply(*, rectification: Rectification, actor: Any, request: HttpRequest | None = None) -> Rectification:
    """提交: the reply with its evidence goes to the committee (待复查); after the deadline it is late."""
    with transaction.atomic(durable=True):
        inspection, locked = _lock_reply(rectification)
        if not locked.is_editable:
            raise InspectionError(f"该整改回复当前为“{locked.state_label}”，不能重复提交。")
        if inspection.status != InspectionStatus.RECTIFYING:
            raise InspectionError(f"该整改通知当前为“{inspection.state_label}”，不能提交整改回复，请刷新页面。")
        problems = []
        if not locked.content.strip():
            problems.append("请填写整改情况")
        missing = missing_required_kinds(locked)
        if missing:
            problems.append("请上传" + "、".join(k.label for k in missing))
        if problems:
            raise ValidationError("暂不能提交：" + "；".join(problems) + "。")
        now = timezone.now()
        late = inspection.deadline is not None and timezone.localdate() > inspection.deadline
        locked.status = RectificationStatus.SUBMITTED
        locked.submitted_at = now
        locked.late = late
        locked.full_clean()
        locked.save()
        inspection.status = InspectionStatus.REPLIED
        inspection.rounds = locked.round
        inspection.replied_late = inspection.replied_late or late
        inspection.save()
        record(
            action=Action.RECTIFICATION_SUBMIT,
            request=request,
            user=actor,
            obj=locked,
            detail={"inspection": inspection.pk, "round": locked.round, "late": late},
        )
    return locked


# ---------------------------------------------------------------- committee: the re-inspection


def review_reply(
    *,
    rectification: Rectification,
    passed: bool,
    note: str = "",
    new_deadline: dt.date | None = None,
    actor: Any,
    request: HttpRequest | None = None,
) -> Rectification:
    """复查通过 (→ 已闭环) or 退回整改 (→ 整改中, note required, optionally a new deadline)."""
    note = (note or "").strip()
    today = timezone.localdate()
    if not passed:
        errors = {}
        if not note:
            errors["note"] = "退回整改时，请填写复查意见，说明仍需整改的问题。"
        if new_deadline is not None and new_deadline < today:
            errors["new_deadline"] = "新的整改期限不能早于今天。"
        if errors:
            raise ValidationError(errors)
    with transaction.atomic(durable=True):
        inspection, locked = _lock_reply(rectification)
        if locked.status != RectificationStatus.SUBMITTED or inspection.status != InspectionStatus.REPLIED:
            raise InspectionError(f"该整改回复当前为“{locked.state_label}”，不能复查（可能已被他人复查），请刷新页面。")
        now = timezone.now()
        locked.reviewed_by = actor
        locked.reviewed_at = now
        locked.review_note = note
        project = inspection.project.project_name
        reply_of = f"您单位针对整改通知书 {inspection.notice_no} 提交的第{locked.round}轮整改情况"
        if passed:
            locked.status = RectificationStatus.PASSED
            inspection.status = InspectionStatus.CLOSED
            inspection.closed_at = now
            title = f"整改复查通过：{project}"
            body = f"{reply_of}已复查通过，该整改通知已闭环。" + (f"复查意见：{note}" if note else "")
        else:
            locked.status = RectificationStatus.RETURNED
            inspection.status = InspectionStatus.RECTIFYING
            if new_deadline is not None:
                inspection.deadline = new_deadline
            title = f"整改复查退回：{project}"
            body = (
                f"{reply_of}未通过复查。复查意见：{note}\n"
                f"请于{inspection.deadline:%Y年%m月%d日}前继续整改，并重新提交整改情况及证明材料。"
            )
        locked.full_clean()
        locked.save()
        inspection.full_clean()
        inspection.save()
        send_message(enterprise=inspection.enterprise, title=title, body=body, link=inspection.get_absolute_url())
        record(
            action=Action.RECTIFICATION_REVIEW,
            request=request,
            user=actor,
            obj=locked,
            detail={
                "inspection": inspection.pk,
                "round": locked.round,
                "result": locked.status,
                "note": note[:500],
                "deadline": inspection.deadline.isoformat() if inspection.deadline else None,
            },
        )
    return locked
