"""评优创先: the committee's award nominations and their results (services and selectors).

A nomination names an enterprise of the committee's districts — or one of its approved
projects — for one award of one year. While 已推荐 the committee may edit or withdraw it;
the result (已获评 / 未获评, with its date) is final and is told to the enterprise.
A granted award adds to the enterprise's credit score (credit.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from laowu.audit.services import Action, record
from laowu.contracts.models import ProjectFiling
from laowu.enterprises.models import Enterprise
from laowu.enterprises.scope import enterprises_in_scope
from laowu.review.permissions import filings_in_scope

from .models import AWARD_TITLES, Award, AwardStatus, BadBehaviour
from .notifications import AWARD_DECIDED, Sms, notify
from .permissions import in_scope
from .search import ENTERPRISE, PROJECT, matching, through

TITLE_LABELS = dict(AWARD_TITLES)
# Awards given to a project rather than to the enterprise as a whole.
PROJECT_TITLES = frozenset({"excellent_project", "safe_project"})
ENTERPRISE_TITLE_CHOICES = tuple((code, label) for code, label in AWARD_TITLES if code not in PROJECT_TITLES)
PROJECT_TITLE_CHOICES = tuple((code, label) for code, label in AWARD_TITLES if code in PROJECT_TITLES)
EARLIEST_YEAR = 2000


def year_choices(*, include: int | None = None) -> list[int]:
    """The years one may nominate for: next year back to five years ago (and a record's own year)."""
    this_year = timezone.localdate().year
    years = list(range(this_year + 1, this_year - 6, -1))
    if include and include not in years:
        years.append(include)
        years.sort(reverse=True)
    return years


def subject_label(award: Award) -> str:
    if award.project_id:
        return f"{award.enterprise.name}（项目：{award.project.project_name}）"
    return award.enterprise.name


# ---------------------------------------------------------------- selectors


def award_list(
    *, user: Any, year: int | None = None, q: str = "", title: str = "", status: str = ""
) -> QuerySet[Award]:
    qs = in_scope(user, Award).select_related("enterprise", "project")
    if year:
        qs = qs.filter(year=year)
    if title:
        qs = qs.filter(title=title)
    if status:
        qs = qs.filter(status=status)
    qs = qs.order_by("-year", "title", "enterprise__name", "id")
    return matching(qs, q, (*through("enterprise", ENTERPRISE), "project__project_name"))


def award_years(*, user: Any) -> list[int]:
    """Years that have nominations in the user's scope, with this year, newest first."""
    years = set(in_scope(user, Award).values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def default_year(*, user: Any) -> int:
    """The list opens on the latest year with nominations (this year if none)."""
    latest = in_scope(user, Award).order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year


def nominable_enterprises(*, user: Any, q: str = "") -> QuerySet[Enterprise]:
    return matching(enterprises_in_scope(user).order_by("name", "id"), q, ENTERPRISE)


def nominable_projects(*, user: Any, q: str = "") -> QuerySet[ProjectFiling]:
    """Approved projects (a valid approved revision) of enterprises in the user's districts."""
    qs = (
        filings_in_scope(user, ProjectFiling)
        .filter(approved_submission__isnull=False)
        .select_related("enterprise")
        .order_by("-signed_date", "-id")
    )
    return matching(qs, q, (*PROJECT, "enterprise__name"))


def records_in_publicity(enterprise: Enterprise | int, on: dt.date | None = None) -> list[BadBehaviour]:
    """The enterprise's 不良行为 records in publicity today: a nomination of it must be a deliberate choice."""
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    return list(
        BadBehaviour.objects.in_publicity(on)
        .filter(enterprise_id=pk)
        .only("id", "grade", "decision_no", "publicity_start", "publicity_end")
        .order_by("-publicity_start", "-id")
    )


PUBLICITY_CONFIRM_MESSAGE = (
    "该企业正在不良行为公示期内。如确需推荐，请勾选“已知悉该企业正在不良行为公示中，仍予推荐”后再提交。"
)


# ---------------------------------------------------------------- services


def _check_fields(*, year: int, title: str, reasons: str, project: ProjectFiling | None) -> str:
    errors: dict[str, str] = {}
    if title not in TITLE_LABELS:
        errors["title"] = "请选择奖项。"
    elif project is None and title in PROJECT_TITLES:
        errors["title"] = f"“{TITLE_LABELS[title]}”是项目奖项，请选择推荐的项目。"
    elif project is not None and title not in PROJECT_TITLES:
        errors["title"] = f"“{TITLE_LABELS[title]}”是企业奖项，推荐项目时请选择项目奖项。"
    if not (EARLIEST_YEAR <= year <= timezone.localdate().year + 1):
        errors["year"] = "年度不正确。"
    reasons = (reasons or "").strip()
    if not reasons:
        errors["reasons"] = "请填写推荐理由。"
    if errors:
        raise ValidationError(errors)
    return reasons


def _duplicate_message(existing: Award) -> str:
    target = "该项目" if existing.project_id else "该企业"
    return (
        f"{target}已被推荐参评{existing.year}年度“{existing.get_title_display()}”"
        f"（当前状态：{existing.state_label}），不能重复推荐。"
    )


def nominate(
    *,
    enterprise: Enterprise,
    project: ProjectFiling | None = None,
    year: int,
    title: str,
    reasons: str,
    actor: Any,
    publicity_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> Award:
    """推荐: a new nomination; one withdrawn earlier for the same award is taken up again.

    An enterprise under 不良行为公示 may be nominated only with `publicity_confirmed`: whether
    a record bars an award is the committee's call under each award's own rules, so the
    platform does not refuse, but the choice is explicit and the audit row names the records."""
    reasons = _check_fields(year=year, title=title, reasons=reasons, project=project)
    if project is not None and (project.enterprise_id != enterprise.pk or project.approved_submission_id is None):
        raise ValidationError("只能推荐该企业审核通过的项目。")
    try:
        with transaction.atomic(durable=True):
            # Nominations of one enterprise are serialised on its row, so two clicks make one.
            Enterprise.objects.select_for_update().get(pk=enterprise.pk)
            existing = (
                Award.objects.select_for_update().filter(year=year, title=title, enterprise=enterprise, project=project)
            ).first()
            if existing is not None and existing.status != AwardStatus.WITHDRAWN:
                raise ValidationError(_duplicate_message(existing))
            # Checked under the enterprise lock: a record published since the form was shown still counts.
            in_publicity = records_in_publicity(enterprise)
            if in_publicity and not publicity_confirmed:
                raise ValidationError({"publicity_confirmed": PUBLICITY_CONFIRM_MESSAGE})
            if existing is not None:
                award = existing
                award.status = AwardStatus.NOMINATED
                award.reasons = reasons
                award.decided_on = None
            else:
                award = Award(
                    year=year, title=title, enterprise=enterprise, project=project, reasons=reasons, created_by=actor
                )
            award.full_clean(validate_constraints=False)
            award.save()
            record(
                action=Action.AWARD_SAVE,
                request=request,
                user=actor,
                obj=award,
                detail={
                    "operation": "renominate" if existing else "nominate",
                    "year": year,
                    "title": title,
                    **({"in_publicity": [r.decision_no for r in in_publicity]} if in_publicity else {}),
                },
            )
    except IntegrityError:
        # The unique constraint saw a duplicate the check above could not (a write that took no lock).
        raise ValidationError("该推荐已存在，不能重复推荐。请刷新列表查看。") from None
    return award


def _lock_nominated(award: Award, action: str) -> Award:
    locked = Award.objects.select_for_update(of=("self",)).select_related("enterprise", "project").get(pk=award.pk)
    if locked.status != AwardStatus.NOMINATED:
        raise ValidationError(f"该推荐当前为“{locked.state_label}”，不能{action}。请刷新页面后查看。")
    return locked


def update_nomination(
    *, award: Award, year: int, title: str, reasons: str, actor: Any, request: HttpRequest | None = None
) -> Award:
    """编辑 a nomination still 已推荐: its year, award and reasons (the nominee stays)."""
    try:
        with transaction.atomic(durable=True):
            locked = _lock_nominated(award, "编辑")
            reasons = _check_fields(year=year, title=title, reasons=reasons, project=locked.project)
            clash = (
                Award.objects.filter(year=year, title=title, enterprise_id=locked.enterprise_id)
                .filter(project_id=locked.project_id)
                .exclude(pk=locked.pk)
                .first()
            )
            if clash is not None:
                raise ValidationError(_duplicate_message(clash))
            changed = [
                name
                for name, value in (("year", year), ("title", title), ("reasons", reasons))
                if getattr(locked, name) != value
            ]
            locked.year, locked.title, locked.reasons = year, title, reasons
            locked.full_clean(validate_constraints=False)
            locked.save()
            record(
                action=Action.AWARD_SAVE,
                request=request,
                user=actor,
                obj=locked,
                detail={"operation": "edit", "changed": changed},
            )
    except IntegrityError:
        raise ValidationError("与已有推荐重复，不能保存。请刷新列表查看。") from None
    return locked


def withdraw(*, award: Award, actor: Any, request: HttpRequest | None = None) -> Award:
    """撤回 a nomination before its result; it can be nominated again later."""
    with transaction.atomic(durable=True):
        locked = _lock_nominated(award, "撤回")
        locked.status = AwardStatus.WITHDRAWN
        locked.save(update_fields=["status", "updated_at"])
        # No AWARD_WITHDRAW action exists; AWARD_SAVE with the operation says what was done.
        record(action=Action.AWARD_SAVE, request=request, user=actor, obj=locked, detail={"operation": "withdraw"})
    return locked


def decide(
    *, award: Award, granted: bool, decided_on: dt.date, actor: Any, request: HttpRequest | None = None
) -> Award:
    """评定结果: 已获评 or 未获评 on a date; the enterprise is told by an on-site message."""
    today = timezone.localdate()
    with transaction.atomic(durable=True):
        locked = _lock_nominated(award, "登记评定结果")
        if decided_on > today:
            raise ValidationError({"decided_on": "评定日期不能晚于今天。"})
        if decided_on.year < locked.year:
            raise ValidationError({"decided_on": f"评定日期不能早于{locked.year}年（推荐年度）。"})
        locked.status = AwardStatus.GRANTED if granted else AwardStatus.NOT_GRANTED
        locked.decided_on = decided_on
        locked.full_clean(validate_constraints=False)
        locked.save(update_fields=["status", "decided_on", "updated_at"])
        record(
            action=Action.AWARD_DECIDE,
            request=request,
            user=actor,
            obj=locked,
            detail={"result": locked.status, "decided_on": decided_on.isoformat()},
        )
        target = f"贵企业的项目“{locked.project.project_name}”" if locked.project_id else "贵企业"
        notify(
            enterprise=locked.enterprise,
            title=f"评优创先结果：{locked.year}年度{locked.get_title_display()}",
            body=(
                f"{target}被推荐参评{locked.year}年度“{locked.get_title_display()}”，"
                f"评定结果：{locked.state_label}（评定日期：{decided_on:%Y年%m月%d日}）。"
                + ("获评奖项按信用评分规则计入企业信用分。" if granted else "")
            ),
            link=locked.get_absolute_url(),
            sms=Sms(
                AWARD_DECIDED,
                {"award": f"{locked.year}年度{locked.get_title_display()}", "result": locked.state_label},
            ),
        )
    return locked
