"""The database session store with its SQL written once (laowu/core/session_db.py): the same
answers as Django's own database store (the ideas of Django's session backend tests), without
the ORM on the way."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection, transaction
from django.db.models.query import QuerySet
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laowu.core.session_db import SessionStore, _verified_payload
from tests.accounts.test_otp import password_login

pytestmark = pytest.mark.django_db

HOME = reverse("workspace:home")


def stored(data: dict[str, Any] | None = None, **expiry: Any) -> SessionStore:
    s = SessionStore()
    s.update(data or {"a": 1})
    if expiry:
        s.set_expiry(expiry["seconds"])
    s.save()
    return s


def test_it_is_the_engine_of_every_setting_without_redis() -> None:
    assert settings.SESSION_ENGINE == "laowu.core.session_db"


def test_saved_data_loads_in_a_new_store_as_djangos_store_reads_it() -> None:
    s = stored({"a": 1, "b": "中文"})
    assert SessionStore(s.session_key).load() == {"a": 1, "b": "中文"}
    # Written as Django writes it: its own store reads the row, and the other way round.
    assert DjangoStore(s.session_key).load() == {"a": 1, "b": "中文"}
    theirs = DjangoStore()
    theirs["c"] = 3
    theirs.save()
    assert SessionStore(theirs.session_key).load() == {"c": 3}
    row = Session.objects.get(session_key=s.session_key)
    assert abs(row.expire_date - s.get_expiry_date()) < timedelta(seconds=2)


def test_the_row_read_carries_its_expiry_as_an_aware_datetime() -> None:
    # laowu/core/sessions.py moves a row to Redis for the rest of its age.
    s = stored()
    row = SessionStore(s.session_key)._get_session_from_db()
    assert row is not None and row.session_key == s.session_key
    assert row.expire_date == Session.objects.get(session_key=s.session_key).expire_date
    assert timezone.is_aware(row.expire_date)


def test_an_expired_session_is_not_loaded() -> None:
    s = stored(seconds=-2)
    assert Session.objects.filter(session_key=s.session_key).exists()
    again = SessionStore(s.session_key)
    assert again.load() == {}
    # As Django's: the key is forgotten, so a save makes a new session, not the old one again.
    assert again.session_key is None
    again["b"] = 2
    again.save()
    assert again.session_key != s.session_key
    # The Redis engine's fallback reads the whole row (laowu/core/sessions.py): not this one either.
    gone = SessionStore(s.session_key)
    assert gone._get_session_from_db() is None and gone.session_key is None


def test_an_unknown_or_malformed_key_loads_an_empty_session() -> None:
    assert SessionStore("x" * 32).load() == {}
    assert SessionStore("short").load() == {}  # refused by the key's setter: no query
    assert SessionStore(None).load() == {}


def test_tampered_data_is_rejected(caplog: pytest.LogCaptureFixture) -> None:
    s = stored({"_auth_user_id": "1"})
    row = Session.objects.get(session_key=s.session_key)
    payload, _, signature = row.session_data.rpartition(":")
    Session.objects.filter(pk=row.pk).update(session_data=payload + ":" + signature[::-1])
    with caplog.at_level(logging.WARNING, logger="django.security.SuspiciousSession"):
        assert SessionStore(s.session_key).load() == {}
    assert "Session data corrupted" in caplog.text


def test_tampered_data_is_rejected_after_the_genuine_text_was_read(caplog: pytest.LogCaptureFixture) -> None:
    s = stored({"_auth_user_id": "1"})
    assert SessionStore(s.session_key).load() == {"_auth_user_id": "1"}  # the genuine text, remembered
    row = Session.objects.get(session_key=s.session_key)
    payload, _, signature = row.session_data.rpartition(":")
    Session.objects.filter(pk=row.pk).update(session_data=payload + ":" + signature[::-1])
    for _ in range(2):  # a rejected text is not remembered as good either
        with caplog.at_level(logging.WARNING, logger="django.security.SuspiciousSession"):
            caplog.clear()
            assert SessionStore(s.session_key).load() == {}
        assert "Session data corrupted" in caplog.text


def test_a_remembered_decode_follows_a_save_and_each_load_gets_its_own_dict() -> None:
    s = stored({"n": 1})
    _verified_payload.cache_clear()
    first = SessionStore(s.session_key)
    assert first.load() == {"n": 1}
    assert SessionStore(s.session_key).load() == {"n": 1}
    assert _verified_payload.cache_info().hits == 1  # the second load did not check the signature again
    first.load()["n"] = 99  # a request changing its session's dict changes no one else's
    assert SessionStore(s.session_key).load() == {"n": 1}
    again = SessionStore(s.session_key)
    again["n"] = 2
    again.save()
    assert SessionStore(s.session_key).load() == {"n": 2}


def test_two_sessions_never_answer_for_each_other() -> None:
    one, two = stored({"_auth_user_id": "1"}), stored({"_auth_user_id": "2"})
    for _ in range(2):
        assert SessionStore(one.session_key).load() == {"_auth_user_id": "1"}
        assert SessionStore(two.session_key).load() == {"_auth_user_id": "2"}
    # The same data under two keys is still each session's own row.
    same = stored({"_auth_user_id": "1"})
    same_row = Session.objects.get(session_key=same.session_key)
    Session.objects.filter(session_key=two.session_key).update(session_data=same_row.session_data)
    assert SessionStore(two.session_key).load() == {"_auth_user_id": "1"}
    assert SessionStore(one.session_key).load() == {"_auth_user_id": "1"}


def test_a_remembered_decode_follows_the_secret_key() -> None:
    s = stored({"a": 1})
    assert SessionStore(s.session_key).load() == {"a": 1}
    old = settings.SECRET_KEY
    with override_settings(SECRET_KEY="another-" + old):
        assert SessionStore(s.session_key).load() == {}  # signed with a key no longer trusted
    with override_settings(SECRET_KEY="another-" + old, SECRET_KEY_FALLBACKS=[old]):
        assert SessionStore(s.session_key).load() == {"a": 1}
    assert SessionStore(s.session_key).load() == {"a": 1}


def test_data_that_does_not_deserialize_is_an_empty_session() -> None:
    s = SessionStore()
    text = signing.dumps("not json", salt=s.key_salt, serializer=_Raw)  # signed, but not JSON
    assert s.decode(text) == {}


class _Raw:
    def dumps(self, obj: str) -> bytes:
        return obj.encode()


def test_a_load_is_one_query_and_no_queryset() -> None:
    s = stored()
    with (
        mock.patch.object(QuerySet, "get", side_effect=AssertionError("the ORM built a query")),
        CaptureQueriesContext(connection) as ctx,
    ):
        assert SessionStore(s.session_key).load() == {"a": 1}
        assert SessionStore(s.session_key).exists(s.session_key)
    assert len(ctx) == 2


def test_create_retries_a_key_already_taken() -> None:
    taken = stored({"mine": True})
    keys = iter([taken.session_key, "n" * 32])
    s = SessionStore()
    with mock.patch.object(SessionStore, "_get_new_session_key", side_effect=lambda: next(keys)):
        s.create()
    assert s.session_key == "n" * 32
    assert SessionStore(taken.session_key).load() == {"mine": True}  # not overwritten


def test_a_key_is_never_drawn_twice() -> None:
    taken = stored()
    assert SessionStore().exists(taken.session_key)
    assert not SessionStore().exists("z" * 32)


def test_must_create_on_a_taken_key_is_a_create_error_and_spares_a_transaction() -> None:
    taken = stored()
    again = SessionStore(taken.session_key)
    with transaction.atomic():
        with pytest.raises(CreateError):
            again.save(must_create=True)
        # The caller's transaction carries on.
        assert Session.objects.filter(session_key=taken.session_key).count() == 1
    with pytest.raises(CreateError):
        again.save(must_create=True)


def test_saving_a_session_deleted_meanwhile_is_an_update_error() -> None:
    s = stored()
    Session.objects.filter(session_key=s.session_key).delete()
    s["b"] = 2
    with pytest.raises(UpdateError):
        s.save()
    with transaction.atomic(), pytest.raises(UpdateError):
        s.save()


def test_a_save_updates_data_and_expiry() -> None:
    s = stored()
    s["b"] = 2
    s.set_expiry(600)
    s.save()
    row = Session.objects.get(session_key=s.session_key)
    assert SessionStore(s.session_key).load() == {"a": 1, "b": 2, "_session_expiry": 600}
    assert timedelta(seconds=590) < row.expire_date - timezone.now() <= timedelta(seconds=600)


def test_cycle_key_keeps_the_data_under_a_new_key() -> None:
    s = stored({"a": 1})
    old = s.session_key
    s.cycle_key()
    assert s.session_key != old
    assert not Session.objects.filter(session_key=old).exists()
    assert SessionStore(s.session_key).load() == {"a": 1}


def test_delete_and_flush_remove_the_row() -> None:
    s = stored()
    SessionStore().delete(s.session_key)
    assert not Session.objects.filter(session_key=s.session_key).exists()
    SessionStore().delete("q" * 32)  # an unknown key: nothing to do, no error
    SessionStore().delete()  # no key at all
    t = stored()
    key = t.session_key
    t.flush()
    assert t.session_key is None and t.is_empty()
    assert not Session.objects.filter(session_key=key).exists()


def test_clear_expired_removes_only_expired_rows() -> None:
    live, dead = stored(), stored(seconds=-2)
    SessionStore.clear_expired()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert dead.session_key


def test_logout_deletes_the_session_and_the_old_cookie_is_signed_out(enterprise_a: Any) -> None:
    client, _ = password_login(enterprise_a)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(HOME).status_code == 200
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    resp = replay.get(HOME)
    assert resp.status_code == 302 and reverse("accounts:login") in resp["Location"]
