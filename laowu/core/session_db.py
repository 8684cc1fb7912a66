"""The database session engine, its SQL written once per process.

Every signed-in request loads its session; through the ORM (`Session.objects.get(...)`)
building and compiling that query costs several times what the database takes to answer it
(the same reason as laowu/core/prepared.py). This store is Django's own
(`django.contrib.sessions.backends.db.SessionStore`) with only its ORM calls replaced by
statements written from the session model's metadata (its table and column names, quoted for
the connection), once per database alias and process:

- load: the row of the key whose expiry is still ahead (the same condition as Django's
  `get(session_key=..., expire_date__gt=now)`); the data is then decoded by Django's own
  `decode`, which rejects tampered data (a bad signature) as an empty session;
- exists, save (an INSERT when the key must be new, a key taken being `CreateError`; an UPDATE
  otherwise, no row updated being `UpdateError`), delete, clear_expired.

Values go through the fields' own preparation (`get_db_prep_value`) and the read expiry
through the connection's and the field's converters, as the ORM does them. The model's
save/delete signals are not sent: nothing in the project listens to the session model's. A
session model with more columns (filled through `create_model_instance`) would need Django's
own save; Django's `Session` has these three.

Decoding a session's stored text (checking its signature, base64, zlib) is remembered per
process by that text (`_verified_payload`), so a clerk's requests between two renewals check
the same text once; the data is then deserialized afresh for each request.

Everything else (the key's creation and collision loop, cycle_key, flush, the expiry
arithmetic, the async methods) is Django's, inherited. laowu/core/sessions.py keeps sessions in
Redis and falls back to this store.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DjangoDatabaseStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core import signing
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from .plans import plan_keeping_cursor


class _Payload:
    """A "serializer" handing back the verified, decompressed bytes: `unsign_object` then does
    everything of `signing.loads` but the deserializing."""

    def loads(self, data: bytes) -> bytes:
        return data


@functools.lru_cache(maxsize=1024)
def _verified_payload(session_data: str, salt: str, key: str, fallback_keys: tuple[str, ...]) -> bytes:
    """The serialized session inside `session_data`, checked as Django's `signing.loads` checks
    it (the signature under the secret key or a fallback key; raises `BadSignature`).

    Kept by everything the answer depends on: the stored text itself (data and signature), the
    salt and the keys, so it cannot go stale: a session saved again is another text, a rotated
    key another entry. A text is one session's own (its random key's row), so an entry is found
    only with the very text it was made from: no other session can be answered from it. Only
    texts that passed the check are kept (a raised BadSignature is not); bounded in number, the
    least recently used dropped first."""
    signer = signing.TimestampSigner(key=key, salt=salt, fallback_keys=list(fallback_keys))
    return signer.unsign_object(session_data, serializer=_Payload)  # type: ignore[no-any-return]


class _Statements:
    """The session table's statements and the expiry's read converters for one connection."""

    def __init__(self, model: type[AbstractBaseSession], connection: BaseDatabaseWrapper) -> None:
        meta = model._meta
        qn = connection.ops.quote_name
        self.key_field = meta.get_field("session_key")
        self.data_field = meta.get_field("session_data")
        self.expire_field = meta.get_field("expire_date")
        # The model's own quoted names; every value is a parameter.
        table = qn(meta.db_table)
        key, data, expire = (qn(f.column) for f in (self.key_field, self.data_field, self.expire_field))
        self.load = f"SELECT {data}, {expire} FROM {table} WHERE {key} = %s AND {expire} > %s"  # noqa: S608  # nosec B608
        self.load_data = f"SELECT {data} FROM {table} WHERE {key} = %s AND {expire} > %s"  # noqa: S608  # nosec B608
        self.exists = f"SELECT 1 FROM {table} WHERE {key} = %s LIMIT 1"  # noqa: S608  # nosec B608
        self.insert = f"INSERT INTO {table} ({key}, {data}, {expire}) VALUES (%s, %s, %s)"  # noqa: S608  # nosec B608
        self.update = f"UPDATE {table} SET {data} = %s, {expire} = %s WHERE {key} = %s"  # noqa: S608  # nosec B608
        self.delete = f"DELETE FROM {table} WHERE {key} = %s"  # noqa: S608  # nosec B608
        self.clear_expired = f"DELETE FROM {table} WHERE {expire} < %s"  # noqa: S608  # nosec B608
        # The converters the ORM's compiler applies to a selected column (SQLite gives a
        # timestamp as text, for one).
        col = self.expire_field.get_col(meta.db_table)
        self.expire_converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        self.expire_col = col
        self.attnames = [f.attname for f in (self.key_field, self.data_field, self.expire_field)]

    def read_expiry(self, value: Any, connection: BaseDatabaseWrapper) -> datetime:
        for converter in self.expire_converters:
            value = converter(value, self.expire_col, connection)
        return value  # type: ignore[no-any-return]


class SessionStore(DjangoDatabaseStore):
    # Per (model, database alias, vendor): written on first use in a process.
    _statements: ClassVar[dict[tuple[type[AbstractBaseSession], str, str], _Statements]] = {}

    @classmethod
    def _sql(cls, alias: str) -> tuple[_Statements, BaseDatabaseWrapper]:
        connection = connections[alias]
        model = cls.get_model_class()
        key = (model, alias, connection.vendor)
        statements = cls._statements.get(key)
        if statements is None:
            statements = cls._statements[key] = _Statements(model, connection)
        return statements, connection

    def _live_row(self, data_only: bool) -> tuple[Any, ...] | None:
        """The session's row if its expiry is still ahead, as Django's `get(session_key=...,
        expire_date__gt=now)`; without one the key is forgotten, as Django's store does."""
        session_key = self.session_key
        if session_key is None:  # no row has a null key; Django's get() finds none either
            return None
        sql, connection = self._sql(router.db_for_read(self.model))
        now = sql.expire_field.get_db_prep_value(timezone.now(), connection)
        # By its key, on every request: PostgreSQL keeps the plan (laowu/core/plans.py).
        with plan_keeping_cursor(connection) as cursor:
            cursor.execute(sql.load_data if data_only else sql.load, [session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
        return row  # type: ignore[no-any-return]

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        row = self._live_row(data_only=False)
        if row is None:
            return None
        alias = router.db_for_read(self.model)
        sql, connection = self._sql(alias)
        data, expire = row
        values = [self.session_key, data, sql.read_expiry(expire, connection)]
        return self.model.from_db(alias, sql.attnames, values)  # type: ignore[no-any-return]

    def decode(self, session_data: str) -> dict[str, Any]:
        # Django's decode (the same failures give an empty session, a bad signature logged),
        # the check of an already checked text remembered (_verified_payload).
        try:
            payload = _verified_payload(
                session_data, self.key_salt, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS)
            )
            return self.serializer().loads(payload)  # type: ignore[no-any-return]
        except signing.BadSignature:
            logging.getLogger("django.security.SuspiciousSession").warning("Session data corrupted")
        except Exception:
            return {}  # Django's: data that does not deserialize is an empty session
        return {}

    def load(self) -> dict[str, Any]:
        # Django's load, without making a model instance of the row for its data alone.
        row = self._live_row(data_only=True)
        return self.decode(row[0]) if row else {}

    def exists(self, session_key: str) -> bool:
        sql, connection = self._sql(router.db_for_read(self.model))
        with connection.cursor() as cursor:
            cursor.execute(sql.exists, [session_key])
            return cursor.fetchone() is not None

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()  # type: ignore[no-any-return]
        data = self._get_session(no_load=must_create)
        alias = router.db_for_write(self.model)
        sql, connection = self._sql(alias)
        session_key = self._get_or_create_session_key()
        session_data = sql.data_field.get_db_prep_save(self.encode(data), connection)
        expire_date = sql.expire_field.get_db_prep_save(self.get_expiry_date(), connection)
        # One statement is atomic by itself; inside a transaction, a failed statement must not
        # spoil the caller's: the savepoint Django's save takes there too.
        atomic = transaction.atomic(using=alias) if connection.in_atomic_block else contextlib.nullcontext()
        try:
            with atomic, connection.cursor() as cursor:
                if must_create:
                    cursor.execute(sql.insert, [session_key, session_data, expire_date])
                else:
                    cursor.execute(sql.update, [session_data, expire_date, session_key])
                    if cursor.rowcount < 1:  # Django's "Forced update did not affect any rows."
                        raise DatabaseError("Forced update did not affect any rows.")
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
        return None

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        sql, connection = self._sql(router.db_for_write(self.model))
        with connection.cursor() as cursor:
            cursor.execute(sql.delete, [session_key])

    @classmethod
    def clear_expired(cls) -> None:
        model = cls.get_model_class()
        sql, connection = cls._sql(router.db_for_write(model))
        now = sql.expire_field.get_db_prep_value(timezone.now(), connection)
        with connection.cursor() as cursor:
            cursor.execute(sql.clear_expired, [now])
