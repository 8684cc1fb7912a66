"""The second factor (动态验证码, TOTP) — who must have one, and where an unverified session goes.

The one place for the rule: staff (审核员, 监管人员 and the three admins) must use a TOTP
authenticator app after their password; an enterprise account may turn it on for itself under
账号设置. The gate (`laowu/accounts/middleware.py`) asks `gate_url`, the login views and pages
ask the predicates below, and the writes live in `laowu/accounts/services.py`.
"""

from __future__ import annotations

import functools
from base64 import b32encode
from typing import Any

import segno
from django.db import connection
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from laowu.core.plans import plan_keeping_cursor

from .models import STAFF_ROLES, District, User
from .scope import EVERY_DISTRICT_ATTR

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "验证器App"
RECOVERY_DEVICE_NAME = "恢复码"


def otp_required(user: Any) -> bool:
    """Staff accounts may not work on a password alone; enterprise accounts may choose."""
    return bool(user.is_authenticated and user.role in STAFF_ROLES)


def totp_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def has_second_factor(user: Any) -> bool:
    """A confirmed authenticator app. Not remembered on the user object: the gate asks it only
    while a session is unverified (one indexed query), and a cached answer would go stale the
    moment the account enrols or is reset."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


# Set on the request's user by `user_with_second_factor_state` (laowu/accounts/middleware.py
# loads the signed-in user with it): what the gates would otherwise ask in queries of their own.
HAS_TOTP_ATTR = "_laowu_has_totp"
SESSION_DEVICE_ATTR = "_laowu_session_device"
SESSION_DEVICE_OK_ATTR = "_laowu_session_device_ok"
_SESSION_DEVICE_MODELS: dict[str, Any] = {
    TOTPDevice._meta.label_lower: TOTPDevice,
    StaticDevice._meta.label_lower: StaticDevice,
}


def user_with_second_factor_state(user_id: Any, persistent_id: str | None) -> User | None:
    """The account `user_id` (None if there is none) with the second-factor state the gates
    need, read in the same query: whether it has a confirmed authenticator app, and whether the
    device this session was verified with (django_otp's persistent id, or None) is still a
    confirmed device of the account. Nothing is kept beyond the request: an enrolment, a reset
    or a removal counts from the next request on, as it did when each was a query of its own.
    A persistent id naming another kind of device is left to django_otp (not read here).

    The same row brings what nearly every signed-in page asks next, each otherwise a query of
    its own: the account's enterprise (`user.enterprise`, as `select_related` would leave it)
    and whether it covers every district (laowu/accounts/scope.py `covers_every_district`).
    Both are read afresh on every request, so a renamed enterprise or a changed set of
    districts is seen from the next request on.

    One query written out and read through a cursor rather than `annotate(Exists(...))`:
    this runs on every signed-in request, and compiling the ORM's subqueries costs more than
    the two queries it replaces. The row becomes model instances as the ORM would make them
    (`_columns`: the same converters, then `Model.from_db`)."""
    model, device_pk = _parse_persistent_id(persistent_id)
    sql = _state_sql(model._meta.label_lower if model is not None else None)
    params = [user_id] if model is None else [device_pk, user_id]
    # By primary key, on every signed-in request: PostgreSQL keeps the plan (laowu/core/plans.py).
    with plan_keeping_cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    user = _instance(User, row, 0)
    offset = len(User._meta.concrete_fields)
    enterprise_model = _enterprise_model()
    # A LEFT JOIN: the enterprise's primary key is NULL when the account has none.
    enterprise = _instance(enterprise_model, row, offset) if row[offset] is not None else None
    User._meta.get_field("enterprise").set_cached_value(user, enterprise)
    extra = row[offset + len(enterprise_model._meta.concrete_fields) :]
    setattr(user, EVERY_DISTRICT_ATTR, bool(extra[0]))
    setattr(user, HAS_TOTP_ATTR, bool(extra[1]))
    if model is not None:
        setattr(user, SESSION_DEVICE_ATTR, persistent_id)
        setattr(user, SESSION_DEVICE_OK_ATTR, bool(extra[2]))
    return user


def _enterprise_model() -> Any:
    # Through the foreign key rather than an import: accounts does not import enterprises.
    return User._meta.get_field("enterprise").related_model


def _instance(model: Any, row: tuple[Any, ...], start: int) -> Any:
    attnames, converters = _columns(model)
    values = list(row[start : start + len(attnames)])
    for index, col, functions in converters:
        for convert in functions:
            values[index] = convert(values[index], col, connection)
    return model.from_db(connection.alias, attnames, values)


@functools.cache
def _columns(model: Any) -> tuple[list[str], list[tuple[int, Any, list[Any]]]]:
    """The model's columns in `_state_sql`'s order, and per column the converters the ORM's
    compiler applies to it (the database backend's, then the field's `from_db_value`: dates,
    JSON, sealed values opened)."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if functions:
            converters.append((index, col, functions))
    return [f.attname for f in fields], converters


@functools.cache
def _state_sql(device_label: str | None) -> str:
    # Identifiers come from the models' own metadata, values are parameters: the text depends
    # only on the device kind, so it is made once per process.
    qn = connection.ops.quote_name

    def device_is(model: Any, alias: str) -> str:
        user_col, confirmed_col = (qn(model._meta.get_field(name).column) for name in ("user", "confirmed"))
        return (
            f"FROM {qn(model._meta.db_table)} {alias} "
            f"WHERE {alias}.{user_col} = {user_table}.{user_pk} AND {alias}.{confirmed_col}"
        )

    user_table, user_pk = qn(User._meta.db_table), qn(User._meta.pk.column)
    enterprise = _enterprise_model()
    enterprise_table = qn(enterprise._meta.db_table)
    enterprise_fk = qn(User._meta.get_field("enterprise").column)
    columns = [f"{user_table}.{qn(f.column)}" for f in User._meta.concrete_fields]
    columns += [f"{enterprise_table}.{qn(f.column)}" for f in enterprise._meta.concrete_fields]
    # covers_every_district's own rule, `user.districts.exists() and not
    # District.objects.exclude(pk__in=user.districts.values("pk")).exists()`: some district,
    # and no district the account lacks.
    through = User._meta.get_field("districts").remote_field.through._meta
    through_user, through_district = (qn(through.get_field(name).column) for name in ("user", "district"))
    member = f"FROM {qn(through.db_table)} ud WHERE ud.{through_user} = {user_table}.{user_pk}"
    district_table, district_pk = qn(District._meta.db_table), qn(District._meta.pk.column)
    lacked = f"FROM {district_table} d WHERE NOT EXISTS (SELECT 1 {member} AND ud.{through_district} = d.{district_pk})"
    columns.append(
        f"CASE WHEN EXISTS (SELECT 1 {member}) THEN NOT EXISTS (SELECT 1 {lacked}) ELSE FALSE END "
        f"AS {EVERY_DISTRICT_ATTR}"
    )
    columns.append(f"EXISTS (SELECT 1 {device_is(TOTPDevice, 'app')}) AS {HAS_TOTP_ATTR}")
    if device_label is not None:
        device = _SESSION_DEVICE_MODELS[device_label]
        columns.append(
            f"EXISTS (SELECT 1 {device_is(device, 'dev')} AND dev.{qn(device._meta.pk.column)} = %s) "
            f"AS {SESSION_DEVICE_OK_ATTR}"
        )
    enterprise_pk = qn(enterprise._meta.pk.column)
    join = f"LEFT JOIN {enterprise_table} ON {enterprise_table}.{enterprise_pk} = {user_table}.{enterprise_fk}"
    return f"SELECT {', '.join(columns)} FROM {user_table} {join} WHERE {user_table}.{user_pk} = %s"  # noqa: S608  # nosec B608  # identifiers from model metadata, values are parameters


def _parse_persistent_id(persistent_id: str | None) -> tuple[Any, int | None]:
    # django_otp's form, "<app_label>.<model>/<pk>" (django_otp.models.Device.persistent_id).
    if not persistent_id or "/" not in persistent_id:
        return None, None
    label, _, pk = persistent_id.rpartition("/")
    model = _SESSION_DEVICE_MODELS.get(label)
    if model is None or not (pk.isascii() and pk.isdigit() and len(pk) <= 18):
        return None, None
    return model, int(pk)


def session_device_ok(user: Any, persistent_id: str | None) -> bool | None:
    """Whether the session's device still verifies `user`, as read with the user; None when it
    was not read (the user was loaded some other way, or for another persistent id)."""
    if not persistent_id or getattr(user, SESSION_DEVICE_ATTR, None) != persistent_id:
        return None
    return bool(getattr(user, SESSION_DEVICE_OK_ATTR))


def _has_second_factor_at_load(user: Any) -> bool:
    """`has_second_factor` as read with the request's user, or asked now if it was not: only for
    the gates, which run before the view, so that nothing this request writes can be missed."""
    known = getattr(user, HAS_TOTP_ATTR, None)
    return has_second_factor(user) if known is None else bool(known)


def needs_verification(user: Any) -> bool:
    """Whether this account's login asks for a code after the password."""
    return bool(user.is_authenticated and (otp_required(user) or has_second_factor(user)))


def is_verified(user: Any) -> bool:
    # `is_verified` is installed by django_otp's OTPMiddleware on every request's user.
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def gate_url(user: Any) -> str | None:
    """Where a logged-in session must go before any other page, or None if it may go on:
    the code page for an account with an authenticator app, the enrolment page for a staff
    account still without one."""
    if not user.is_authenticated or is_verified(user):
        return None
    if _has_second_factor_at_load(user):
        return reverse("accounts:otp_verify")
    if otp_required(user):
        return reverse("accounts:otp_enrol")
    return None


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def recovery_device(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def normalize_code(value: str) -> str:
    """What the user typed, as stored: spaces and dashes (copied or printed groups) dropped,
    recovery codes in lower case."""
    return "".join(ch for ch in value if ch not in " -\u3000\t").lower()


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def secret_text(device: TOTPDevice) -> str:
    """The key in Base32, the form authenticator apps take for manual entry, in groups of 4."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (the same segno the printed sheets use): no
    request leaves the server, and the CSP allows data: images."""
    return segno.make(device.config_url, error="M", micro=False).svg_data_uri(scale=5, border=2)
