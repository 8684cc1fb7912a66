"""The order of an enterprise's steps (docs/manual.md §4.1–§6.1), where it stands in each, and
what blocks a step before the enterprise tries it.

基本信息 must be approved before personnel or projects can be 提交 (`Person.declare_problems`,
`ProjectFiling.declare_problems`); a project picks only approved 安全员 and 劳资专管员
(`contracts/forms.py`); 选择项目 offers only the enterprise's own contracts from the provincial
catalogue (`contracts.models.available_catalogue`). Those rules refuse the action; this module
reads the same conditions ahead of time, so the home page can say "下一步：…" and each page can
say why a step cannot be taken yet and which step comes first.

Each call reads the records as they are, in one grouped query (`standing`) plus the
catalogue where needed: nothing is cached but the queries' SQL (laowu/core/prepared.py), so
no write — a form, a queryset update, a review decision — can leave a gate answering stale.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, IntegerField, Max, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from laowu.accounts.models import District
from laowu.contracts.models import CatalogueContract, ProjectFiling, available_catalogue
from laowu.core import prepared
from laowu.enterprises.models import BasicInfo, Enterprise
from laowu.personnel.models import Person, SafetyOfficer, WageManager
from laowu.review.models import Filing, State
from laowu.supervision import reminders

REJECTED_SHOWN = 3  # rejected records named on the home page; the list has the rest
REASON_SHOWN = 60  # characters of a reject reason on the home page; the record has it all


@dataclasses.dataclass(frozen=True)
class Gate:
    """A step the enterprise cannot take yet: why, and the step to do first (if it is on this site)."""

    key: str
    reason: str
    first_label: str = ""
    first_url: str = ""
    brief: str = ""  # the same in a line, for the home page's table

    @property
    def short(self) -> str:
        return self.brief or self.reason


@dataclasses.dataclass(frozen=True)
class Rejected:
    name: str
    reason: str
    url: str


@dataclasses.dataclass(frozen=True)
class Step:
    """One section of the manual as the home page shows it."""

    key: str
    label: str
    url: str
    counts: list[tuple[str, str, int]]  # (state, label, how many), the states present, in workflow order
    next_step: str
    tone: str  # todo, waiting, rejected, done, blocked: how the next step is marked
    action_label: str = ""
    action_url: str = ""
    rejected: tuple[Rejected, ...] = ()


def _short(text: str, limit: int = REASON_SHOWN) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count_list(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(state.value, state.label, counts[state]) for state in State if counts.get(state)]


# ---------------------------------------------------------------- one enterprise's standing, in one query


@dataclasses.dataclass(frozen=True)
class Tally:
    """One filing type of one enterprise: how many records in each state, how many hold an
    approved revision (all, and those not 注销: `review.models.ON_FILE`), the highest 申报次数."""

    counts: dict[str, int]
    approved: int = 0
    on_file: int = 0
    revision: int = 0


def _standing_arms(enterprise_id: int, models: Sequence[type[Filing]]) -> list[QuerySet[Any]]:
    return [
        model.objects.filter(enterprise_id=enterprise_id)
        .order_by()
        .values_list(Value(i), "state")
        .annotate(
            n=Count("pk"), approved=Count("pk", filter=Q(approved_submission__isnull=False)), revision=Max("revision")
        )
        for i, model in enumerate(models)
    ]


def _standing_query(enterprise_id: int, models: Sequence[type[Filing]]) -> QuerySet[Any]:
    arms = _standing_arms(enterprise_id, models)
    return arms[0].union(*arms[1:], all=True) if len(arms) > 1 else arms[0]


def standing(enterprise_id: int, models: Sequence[type[Filing]]) -> dict[type[Filing], Tally]:
    """Each filing type's `Tally` for the enterprise: one grouped query over every table
    (UNION ALL of one GROUP BY state per type), where the steps and gates used to ask each
    count and each EXISTS on its own."""
    models = tuple(models)
    # Written once per shape (laowu/core/prepared.py): writing this UNION costs more than running it.
    rows = prepared.run(("steps.standing", models), lambda eid: _standing_query(eid, models), enterprise_id)
    return _tallies(rows, models)


# The district's row among the standing's: its index, then its name and id where a filing
# type's row has its state and count (both arms' columns are of the same kinds).
DISTRICT_ROW = -1
# A kind of certificate's expiry counts (laowu/supervision/reminders.py): its index, an empty
# state and a zero count, then the expired and expiring counts where a type has its approved
# count and highest revision.
EXPIRY_ROW = -2


def _home_standing_query(enterprise_id: int, today: dt.date) -> QuerySet[Any]:
    district = (
        District.objects.filter(enterprise__pk=enterprise_id)
        .order_by()
        .values_list(Value(DISTRICT_ROW), "name", "pk", Value(0), Value(0))
    )
    expiry = reminders.enterprise_expiry_arms(enterprise_id, today, (Value(EXPIRY_ROW), Value(""), Value(0)))
    first, *rest = _standing_arms(enterprise_id, STEP_TYPES)
    return first.union(*rest, district, *expiry, all=True)


def home_standing_and_expiry(
    enterprise: Enterprise, today: dt.date | None = None
) -> tuple[dict[type[Filing], Tally], dict[str, int]]:
    """`standing` of every step type, and the enterprise's certificate counts of ``today``
    (`reminders.enterprise_expiry_counts`), both on the home page, in one query. The
    enterprise's district (the home page shows its name) is read in the same query and set on
    ``enterprise``, which the page then need not load again with its district. The district
    holds its id and name (its code is deferred, as with `only`).

    The SQL is written once per day (laowu/core/prepared.py): the day is in the key."""
    today = today or timezone.localdate()
    rows = prepared.run(("steps.home_standing", today), lambda eid: _home_standing_query(eid, today), enterprise.pk)
    for _, name, pk, _, _ in (row for row in rows if row[0] == DISTRICT_ROW):
        enterprise.district = District.from_db(connection.alias, ["id", "name"], [pk, name])
    expiry = reminders.expiry_totals(row for row in rows if row[0] == EXPIRY_ROW)
    return _tallies([row for row in rows if row[0] >= 0], STEP_TYPES), expiry


def _tallies(rows: Sequence[tuple[Any, ...]], models: tuple[type[Filing], ...]) -> dict[type[Filing], Tally]:
    found: dict[int, list[tuple[str, int, int, int]]] = {}
    for i, state, n, approved, revision in rows:
        found.setdefault(i, []).append((state, n, approved, revision))
    tallies = {}
    for i, model in enumerate(models):
        groups = found.get(i, [])
        tallies[model] = Tally(
            counts={state: n for state, n, _, _ in groups},
            approved=sum(approved for _, _, approved, _ in groups),
            on_file=sum(approved for state, _, approved, _ in groups if state != State.DEREGISTERED),
            revision=max((revision or 0 for _, _, _, revision in groups), default=0),
        )
    return tallies


# The field `title()` returns, so that the rejected records are named without loading them whole
# (tests/workspace/test_home_queries.py checks each against `title()`).
TITLE_FIELDS: dict[type[Filing], str] = {
    BasicInfo: "name",
    SafetyOfficer: "name",
    WageManager: "name",
    ProjectFiling: "project_name",
}


def rejected_arms(enterprise_id: int, models: Sequence[type[Filing]], more: Sequence[Any] = ()) -> list[QuerySet[Any]]:
    """The arms of `_rejected_query`, each row (the type's index, pk, title, reason, time) with
    the columns ``more`` after them: the home page reads its other short lists in the same
    statement (laowu/workspace/views.py `_home_lists`)."""
    arms = []
    for i, model in enumerate(models):
        latest = model.objects.filter(enterprise_id=enterprise_id, state=State.REJECTED).order_by("-updated_at", "-id")
        columns = (Value(i), "pk", TITLE_FIELDS[model], "last_reject_reason", "updated_at", *more)
        if connection.features.supports_slicing_ordering_in_compound:
            # Each arm its own ORDER BY … LIMIT (PostgreSQL): planned in half the time of the
            # ids' subquery and the second read of each row by id.
            arms.append(latest.values_list(*columns)[:REJECTED_SHOWN])
        else:
            # SQLite allows no LIMIT in an arm of a UNION: the ids are a subquery.
            arms.append(
                model.objects.filter(pk__in=latest.values("pk")[:REJECTED_SHOWN]).order_by().values_list(*columns)
            )
    return arms


def _rejected_query(enterprise_id: int, models: Sequence[type[Filing]]) -> QuerySet[Any]:
    arms = rejected_arms(enterprise_id, models)
    return arms[0].union(*arms[1:], all=True) if len(arms) > 1 else arms[0]


def _rejected(enterprise_id: int, models: Sequence[type[Filing]]) -> dict[type[Filing], tuple[Rejected, ...]]:
    """The latest rejected records of each type (at most REJECTED_SHOWN), all in one query."""
    models = tuple(models)
    rows = prepared.run(("steps.rejected", models), lambda eid: _rejected_query(eid, models), enterprise_id)
    return rejected_of(rows, models)


def rejected_of(
    rows: Sequence[Sequence[Any]], models: Sequence[type[Filing]]
) -> dict[type[Filing], tuple[Rejected, ...]]:
    """The `Rejected` of each type of ``models`` from the rows of `rejected_arms`."""
    # Newest first within each type, as the list pages; the UNION keeps no order. The time is
    # as the database gives it (a datetime, or SQLite's text, which sorts the same).
    rows = sorted(rows, key=lambda row: (row[0], row[4], row[1]), reverse=True)
    found: dict[type[Filing], tuple[Rejected, ...]] = {}
    for i, model in enumerate(models):
        shown = []
        for j, pk, title, reason, *_ in rows:
            if j == i:
                # The record's own `title()` and URL, from an instance holding just what they read.
                # The 基本信息's step shows only its reason (its title may read the enterprise).
                # (As the ORM loads a row with only these fields: no other field's default is made.)
                record = model.from_db(connection.alias, [model._meta.pk.attname, TITLE_FIELDS[model]], [pk, title])
                name = title if model is BasicInfo else record.title()
                shown.append(Rejected(name, _short(reason), record.get_absolute_url()))
        found[model] = tuple(shown)
    return found


# ---------------------------------------------------------------- 基本信息


@dataclasses.dataclass(frozen=True)
class InfoStanding:
    """Where the enterprise's one 基本信息 stands: what the steps and gates read of it."""

    state: str
    revision: int
    approved: bool  # an approved revision exists (it stays valid during a 变更)
    last_reject_reason: str = ""

    @property
    def changing(self) -> bool:
        # As `Filing.changing`.
        return self.approved and self.state != State.APPROVED


def _info_standing(tally: Tally) -> InfoStanding | None:
    """The 基本信息 from its `Tally` (one per enterprise: its only state group), None if none yet."""
    if not tally.counts:
        return None
    return InfoStanding(state=next(iter(tally.counts)), revision=tally.revision, approved=bool(tally.approved))


def basic_info_approved(info: InfoStanding | None) -> bool:
    # During a 变更 the approved revision stays valid, so later steps stay open.
    return info is not None and info.approved


def _basic_info_standing(info: InfoStanding | None) -> str:
    """Where the 基本信息 stands, in a few words."""
    if info is None or (info.state == State.DRAFT and not info.revision):
        return "尚未申报"
    return {
        State.DECLARED: "正在等待审核",
        State.REJECTED: "已被退回",
        State.DRAFT: "已撤回、尚未重新申报",
    }.get(State(info.state), "尚未审核通过")


def basic_info_gate(info: InfoStanding | None, what: str) -> Gate | None:
    """Refused until the 基本信息 is approved: `what` (e.g. 人员信息) cannot be 提交 before."""
    if basic_info_approved(info):
        return None
    standing = _basic_info_standing(info)
    advice = "，请按退回原因修改后重新申报" if info is not None and info.state == State.REJECTED else ""
    return Gate(
        "basic_info",
        f"企业基本信息审核通过后才能提交{what}；您单位的基本信息{standing}{advice}。"
        "现在可以先新增、保存，待基本信息审核通过后再提交。",
        "基本信息归集",
        reverse("enterprises:basic_info"),
        f"基本信息审核通过后才能提交（基本信息{standing}），现在可以先新增、保存。",
    )


def _basic_info_step(info: InfoStanding | None) -> Step:
    url = reverse("enterprises:basic_info")
    state = State(info.state) if info is not None else State.DRAFT
    counts = _count_list({state: 1}) if info is not None else []
    common = {"key": "basic_info", "label": "基本信息", "url": url, "counts": counts}
    if info is None or (state == State.DRAFT and not info.revision):
        return Step(
            **common,
            next_step="请先完成基本信息归集并申报：确认登记信息、补充资质信息、上传附件后点击“申报”。",
            tone="todo",
            action_label="基本信息归集",
            action_url=url,
        )
    if state == State.DECLARED:
        return Step(**common, next_step="等待审核。审核结果会通过站内消息和短信通知您。", tone="waiting")
    if state == State.REJECTED:
        return Step(
            **common,
            next_step=f"已退回：{_short(info.last_reject_reason)} 请修改后重新申报。",
            tone="rejected",
            action_label="去修改",
            action_url=url,
        )
    if state == State.DRAFT and info.changing:
        return Step(
            **common,
            next_step="变更尚未申报：修改完成后请点击“申报”。审核通过前，已通过的版本继续有效。",
            tone="todo",
            action_label="继续变更",
            action_url=url,
        )
    if state == State.DRAFT:
        return Step(
            **common, next_step="已撤回：请修改后重新申报。", tone="todo", action_label="去申报", action_url=url
        )
    return Step(**common, next_step="已通过。可在基本信息归集中打印企业基本情况表。", tone="done")


# ---------------------------------------------------------------- 安全员, 劳资专管员, 项目信息


def _filing_step(
    *,
    key: str,
    label: str,
    unit: str,
    url: str,
    new_url: str,
    counts: dict[str, int],
    gate: Gate | None,
    empty_next: str,
    empty_gate: Callable[[], Gate | None] = lambda: None,
) -> Step:
    """The step of a list of filings: what blocks it first, then rejected ones, unsent, waiting.

    ``gate`` blocks 提交 while nothing is yet declared or approved; ``empty_gate`` blocks only
    the first record (e.g. no contract to pick), asked only when there is no record.
    A rejected step's records are filled in by `enterprise_steps`, all types in one query."""
    common = {"key": key, "label": label, "url": url, "counts": _count_list(counts)}
    if gate is None and not any(counts.values()):
        gate = empty_gate()
    if gate is not None and not counts.get(State.DECLARED) and not counts.get(State.APPROVED):
        return Step(
            **common,
            next_step=gate.short,
            tone="blocked",
            action_label=f"先去：{gate.first_label}" if gate.first_url else "",
            action_url=gate.first_url,
        )
    waiting = f"另有{counts[State.DECLARED]}{unit}等待审核。" if counts.get(State.DECLARED) else ""
    if counts.get(State.REJECTED):
        n = counts[State.REJECTED]
        return Step(**common, next_step=f"已退回{n}{unit}，请按退回原因修改后重新提交。{waiting}", tone="rejected")
    if counts.get(State.DRAFT):
        n = counts[State.DRAFT]
        return Step(
            **common,
            next_step=f"{n}{unit}尚未提交：请补全信息、上传附件后点击“提交”。{waiting}",
            tone="todo",
            action_label="去提交",
            action_url=url + "?state=draft",
        )
    if counts.get(State.DECLARED):
        n = counts[State.DECLARED]
        return Step(**common, next_step=f"{n}{unit}等待审核。审核结果会通过站内消息和短信通知您。", tone="waiting")
    if counts.get(State.APPROVED):
        return Step(**common, next_step=f"已有{counts[State.APPROVED]}{unit}审核通过。", tone="done")
    return Step(**common, next_step=empty_next, tone="todo", action_label="新增", action_url=new_url)


PEOPLE: tuple[type[Person], ...] = (SafetyOfficer, WageManager)


def _people_gates(tallies: dict[type[Filing], Tally]) -> list[Gate]:
    """A project's 安全员 and 劳资专管员 are chosen from approved people (on file: approved and
    not 注销, the rule of `contracts/forms.py`): none approved, nothing to choose."""
    gates = []
    for model in PEOPLE:
        if not tallies[model].on_file:
            label = model.FILING_LABEL
            gates.append(
                Gate(
                    f"people_{model.ROLE_URL}",
                    f"本企业暂无审核通过的{label}，项目信息中“{label}”的下拉框暂无可选人员。"
                    f"请先在{label}归集中新增并提交，审核通过后即可选择。",
                    f"{label}归集",
                    reverse("personnel:list", args=[model.ROLE_URL]),
                    f"暂无审核通过的{label}，项目中无人可选：请先完成{label}归集并等待审核通过。",
                )
            )
    return gates


def _catalogue_probes(credit_code: str | Subquery) -> QuerySet[Enterprise]:
    # Two EXISTS, each stopping at its first row: whether any contract is offered, and whether
    # there is any at all. Sorting the contracts by "filed" instead would test every one of
    # them, reading each from the table, to find the first. Answered in the enterprise's own row
    # (its credit code is unique), which also names the code.
    return (
        Enterprise.objects.filter(credit_code=credit_code)
        .annotate(
            offered=Exists(available_catalogue(credit_code)),
            listed=Exists(CatalogueContract.objects.filter(subcontractor_credit_code=credit_code)),
        )
        .order_by()
    )


def _catalogue_query(credit_code: str | Subquery) -> QuerySet[Any]:
    return _catalogue_probes(credit_code).values_list("offered", "listed", "credit_code")


def _catalogue_probes_of(enterprise_id: int) -> QuerySet[Enterprise]:
    # The credit code as an uncorrelated subquery: PostgreSQL computes it once, before the
    # EXISTS probes, which then stop at their first row as with the code itself. A page that
    # knows only the signed-in user's enterprise id need not load the enterprise for it.
    return _catalogue_probes(Subquery(Enterprise.objects.filter(pk=enterprise_id).order_by().values("credit_code")[:1]))


def _catalogue_query_of(enterprise_id: int) -> QuerySet[Any]:
    return _catalogue_probes_of(enterprise_id).values_list("offered", "listed", "credit_code")


# The catalogue's row among the standing's of the 项目信息 list (`page_gates`): its index, then
# the credit code where a filing type's row has its state, and the two probes as 0/1 where a
# type has its counts (an arm of a UNION takes the others' kinds of column), then a zero.
CATALOGUE_ROW = -3


def _projects_gates_query(enterprise_id: int) -> QuerySet[Any]:
    catalogue = _catalogue_probes_of(enterprise_id).values_list(
        Value(CATALOGUE_ROW),
        "credit_code",
        Cast("offered", IntegerField()),
        Cast("listed", IntegerField()),
        Value(0),
    )
    first, *rest = _standing_arms(enterprise_id, (BasicInfo, *PEOPLE))
    return first.union(*rest, catalogue, all=True)


def catalogue_gate(enterprise: Enterprise) -> Gate | None:
    """选择项目 lists the enterprise's own contracts from the provincial catalogue, not yet filed."""
    return _catalogue_gate(prepared.run(("steps.catalogue",), _catalogue_query, enterprise.credit_code))


def catalogue_gate_of(enterprise_id: int) -> Gate | None:
    """`catalogue_gate` of the enterprise with this id, which it does not load."""
    return _catalogue_gate(prepared.run(("steps.catalogue_of",), _catalogue_query_of, enterprise_id))


def _catalogue_gate(rows: list[tuple[Any, ...]]) -> Gate | None:
    offered, listed, credit_code = rows[0] if rows else (False, False, "")
    if offered:  # a contract `available_catalogue` offers
        return None
    if listed:
        return Gate(
            "catalogue_filed",
            "省合同归集系统中本企业的劳务分包合同均已申报，“选择项目”中暂无新的合同。"
            "新签订的合同由总包单位录入省合同归集系统、区劳务专委会导入后即可选择。",
            # Nothing to do first on this platform: the link explains where new contracts come from.
            "帮助：项目信息归集",
            reverse("workspace:help") + "#projects",
            "省合同归集系统中本企业的合同均已申报，暂无新的合同可选择。",
        )
    return Gate(
        "catalogue_empty",
        f"省合同归集系统中暂无劳务分包单位为本企业（统一社会信用代码 {credit_code}）的合同，"
        "“选择项目”中暂无可选合同。请先确认总包单位已在省合同归集系统中录入本企业的劳务分包合同"
        "（分包单位统一社会信用代码须与本企业一致），区劳务专委会导入后即可选择。",
        "帮助：项目信息归集",
        reverse("workspace:help") + "#projects",
        "省合同归集系统中暂无本企业的劳务分包合同，“选择项目”无合同可选：请先确认总包单位已录入。",
    )


STEP_TYPES: tuple[type[Filing], ...] = (BasicInfo, SafetyOfficer, WageManager, ProjectFiling)


def enterprise_steps(
    enterprise: Enterprise,
    tallies: dict[type[Filing], Tally] | None = None,
    read_rejected: Callable[[list[type[Filing]]], dict[type[Filing], tuple[Rejected, ...]]] | None = None,
) -> list[Step]:
    """The home page's progress: each section, how many records in each state, and the next step.

    Queries: one for every count and gate (`standing`, unless ``tallies`` are given: those of
    `home_standing_and_expiry`), one for the rejected records if a step shows some, and the catalogue
    only when there is no project yet. ``read_rejected`` (the types whose records are shown, maybe
    none) reads the rejected records instead, called once whatever the types: the home page reads
    them with its other lists."""
    if tallies is None:
        tallies = standing(enterprise.pk, STEP_TYPES)
    info = _info_standing(tallies[BasicInfo])
    filing_steps: list[tuple[type[Filing], Step]] = []
    for model in PEOPLE:
        label = model.FILING_LABEL
        filing_steps.append(
            (
                model,
                _filing_step(
                    key=model.ROLE_URL,
                    label=label,
                    unit="人",
                    url=reverse("personnel:list", args=[model.ROLE_URL]),
                    new_url=reverse("personnel:new", args=[model.ROLE_URL]),
                    counts=tallies[model].counts,
                    gate=basic_info_gate(info, "人员信息"),
                    empty_next=f"请新增{label}，上传证书后点击“提交”。",
                ),
            )
        )
    # Nobody approved to pick blocks a project's 提交 as surely as the 基本信息 does.
    gate = basic_info_gate(info, "项目信息") or next(iter(_people_gates(tallies)), None)
    filing_steps.append(
        (
            ProjectFiling,
            _filing_step(
                key="projects",
                label="项目信息",
                unit="个项目",
                url=reverse("contracts:list"),
                new_url=reverse("contracts:new"),
                counts=tallies[ProjectFiling].counts,
                gate=gate,
                empty_next="请点击“新增”，再点击“选择项目”选择本企业的劳务分包合同，补充信息后提交。",
                empty_gate=lambda: catalogue_gate(enterprise),
            ),
        )
    )
    shown = [model for model, step in filing_steps if step.tone == "rejected"]
    if info is not None and info.state == State.REJECTED:
        shown.append(BasicInfo)
    read = read_rejected or (lambda models: _rejected(enterprise.pk, models) if models else {})
    rejected = read(shown)
    if BasicInfo in rejected:
        reason = next((r.reason for r in rejected[BasicInfo]), "")
        info = dataclasses.replace(info, last_reject_reason=reason)  # type: ignore[arg-type]
    return [_basic_info_step(info)] + [
        dataclasses.replace(step, rejected=rejected[model]) if model in rejected else step
        for model, step in filing_steps
    ]


def page_gates(page: str, enterprise_id: int) -> list[Gate]:
    """What blocks the steps of one page, said before the enterprise tries them.

    ``page``: "personnel" (安全员/劳资专管员 pages), "projects" (项目信息 list and 新增),
    "project_edit" (a project's form), "picker" (选择项目). One query for the 基本信息 and the
    people (`standing`), one for the catalogue where the page needs it — the 项目信息 list's
    in the same query as its standing; the enterprise itself is not loaded. Nothing is cached,
    so a gate always answers from the records as they are."""
    if page == "picker":
        return [g for g in (catalogue_gate_of(enterprise_id),) if g]
    what = "人员信息" if page == "personnel" else "项目信息"
    people = page in ("projects", "project_edit")
    catalogue: Gate | None = None
    if page == "projects":
        # The catalogue's probes ride in the standing's query, as one more arm of its UNION:
        # one statement for all of the page's gates.
        rows = prepared.run(("steps.projects_gates",), _projects_gates_query, enterprise_id)
        tallies = _tallies([row for row in rows if row[0] >= 0], (BasicInfo, *PEOPLE))
        catalogue = _catalogue_gate(
            [(offered, listed, code) for i, code, offered, listed, _ in rows if i == CATALOGUE_ROW]
        )
    else:
        tallies = standing(enterprise_id, (BasicInfo, *PEOPLE) if people else (BasicInfo,))
    gates = [g for g in (basic_info_gate(_info_standing(tallies[BasicInfo]), what),) if g]
    if people:
        gates += _people_gates(tallies)
    if catalogue is not None:
        gates.append(catalogue)
    return gates
