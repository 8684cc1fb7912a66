"""Sealing personal data (laowu/core/crypto.py): SM4-GCM by default and AES-256-GCM per key, bound
to where a value lives, refused when tampered with, rotatable by key id; and the blind index."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured

from laowu.core import crypto

ID = "320507198501010075"
CTX = "personnel.safetyofficer.id_number"
SM4_KEY = base64.b64encode(bytes(range(16))).decode()
AES_KEY = base64.b64encode(bytes(range(32))).decode()
INDEX_KEY = base64.b64encode(b"x" * 32).decode()


@pytest.fixture
def keys(settings: Any) -> Any:
    settings.LAOWU_DATA_KEYS = f"k1:sm4:{SM4_KEY},k2:aes:{AES_KEY}"
    settings.LAOWU_DATA_KEY_ID = "k1"
    settings.LAOWU_BLIND_INDEX_KEY = INDEX_KEY
    return settings


def test_sm4_gcm_by_default_and_opens_again(keys: Any) -> None:
    token = crypto.seal(ID, context=CTX)
    assert token.startswith("s1.k1.sm4.") and ID not in token
    assert crypto.unseal(token, context=CTX) == ID
    # Fresh nonce each time: the same value never seals the same way twice.
    assert crypto.seal(ID, context=CTX) != token


def test_the_cipher_is_sm4_gcm_as_the_standard_defines_it(keys: Any) -> None:
    # Opened independently with the primitive itself: nonce | ciphertext | tag, header as AAD.
    token = crypto.seal(ID, context=CTX)
    raw = base64.urlsafe_b64decode(token.split(".")[3] + "==")
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    decryptor = Cipher(algorithms.SM4(bytes(range(16))), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(f"s1.k1.sm4|{CTX}".encode())
    assert (decryptor.update(body) + decryptor.finalize()).decode() == ID


def test_aes_256_gcm_when_the_current_key_says_so(keys: Any) -> None:
    keys.LAOWU_DATA_KEY_ID = "k2"
    token = crypto.seal(ID, context=CTX)
    assert token.startswith("s1.k2.aes.") and crypto.unseal(token, context=CTX) == ID


@pytest.mark.parametrize(
    "spoil",
    [
        lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],  # a changed byte
        lambda t: t.replace(".sm4.", ".aes."),  # relabelled cipher
        lambda t: t.replace("s1.k1.", "s1.k2."),  # relabelled key id
        lambda t: t[:-6],  # truncated
        lambda t: "plain text",
    ],
)
def test_a_tampered_token_does_not_open(keys: Any, spoil: Any) -> None:
    token = crypto.seal(ID, context=CTX)
    with pytest.raises(crypto.SealError):
        crypto.unseal(spoil(token), context=CTX)


def test_a_token_opens_only_where_it_was_sealed(keys: Any) -> None:
    token = crypto.seal(ID, context=CTX)
    with pytest.raises(crypto.SealError):
        crypto.unseal(token, context="personnel.wagemanager.id_number")


def test_rotation_keeps_old_tokens_open_and_flags_them(keys: Any) -> None:
    old = crypto.seal(ID, context=CTX)
    keys.LAOWU_DATA_KEYS = f"k3:sm4:{base64.b64encode(b'n' * 16).decode()},k1:sm4:{SM4_KEY}"
    keys.LAOWU_DATA_KEY_ID = "k3"
    assert crypto.needs_rotation(old) and crypto.unseal(old, context=CTX) == ID
    new = crypto.seal(ID, context=CTX)
    assert new.startswith("s1.k3.") and not crypto.needs_rotation(new)
    # Once the old key is dropped, what it sealed no longer opens — hence rotate_keys first.
    keys.LAOWU_DATA_KEYS = f"k3:sm4:{base64.b64encode(b'n' * 16).decode()}"
    with pytest.raises(crypto.SealError, match="缺少密钥“k1”"):
        crypto.unseal(old, context=CTX)


def test_blind_index_equal_for_equal_values_and_keyed(keys: Any) -> None:
    a = crypto.blind_index(ID, context=CTX)
    assert a == crypto.blind_index(ID, context=CTX) and len(a) == 64 and ID not in a
    assert a != crypto.blind_index("320507198501010083", context=CTX)
    assert a != crypto.blind_index(ID, context="personnel.wagemanager.id_number")
    # Data keys rotate without touching the index; another index key gives other indexes.
    keys.LAOWU_DATA_KEY_ID = "k2"
    assert crypto.blind_index(ID, context=CTX) == a
    keys.LAOWU_BLIND_INDEX_KEY = base64.b64encode(b"y" * 32).decode()
    assert crypto.blind_index(ID, context=CTX) != a


@pytest.mark.parametrize(
    ("keys_text", "key_id", "index", "message"),
    [
        ("k1:sm4:" + base64.b64encode(b"short").decode(), "k1", INDEX_KEY, "SM4 密钥须为16字节"),
        ("k1:aes:" + SM4_KEY, "k1", INDEX_KEY, "AES-256 密钥须为32字节"),
        ("k1:des:" + SM4_KEY, "k1", INDEX_KEY, "无效"),
        ("k1-sm4", "k1", INDEX_KEY, "格式应为"),
        ("k1:sm4:" + SM4_KEY, "k9", INDEX_KEY, "LAOWU_DATA_KEY_ID“k9”不在"),
        ("k1:sm4:" + SM4_KEY, "k1", base64.b64encode(b"short").decode(), "至少须为32字节"),
    ],
)
def test_bad_settings_are_refused_in_chinese(keys_text: str, key_id: str, index: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.load_keyring(keys_text, key_id, index)


def test_new_key_entries_parse() -> None:
    for cipher in (crypto.SM4, crypto.AES):
        [key] = crypto.parse_keys(crypto.new_key_entry("r1", cipher)).values()
        assert key.cipher == cipher and len(key.secret) == crypto.KEY_BYTES[cipher]


def test_files_seal_and_open_bound_to_their_place(keys: Any) -> None:
    data = b"%PDF-1.7 " + ID.encode() * 100
    sealed = crypto.seal_bytes(data, context="documents.renderedpdf.1.0")
    assert crypto.is_sealed_bytes(sealed) and ID.encode() not in sealed
    assert crypto.unseal_bytes(sealed, context="documents.renderedpdf.1.0") == data
    for wrong in (sealed[:-1] + bytes([sealed[-1] ^ 1]), sealed.replace(b"s1.k1.sm4", b"s1.k2.aes")):
        with pytest.raises(crypto.SealError):
            crypto.unseal_bytes(wrong, context="documents.renderedpdf.1.0")
    with pytest.raises(crypto.SealError):
        crypto.unseal_bytes(sealed, context="documents.renderedpdf.2.0")


@pytest.mark.parametrize("cipher,size", [("sm4", 16), ("aes", 32)])
def test_a_keys_cipher_object_is_made_once_and_never_serves_another_secret(keys: Any, cipher: str, size: int) -> None:
    keys.LAOWU_DATA_KEYS = f"k9:{cipher}:{base64.b64encode(b'a' * size).decode()}"
    keys.LAOWU_DATA_KEY_ID = "k9"
    key = crypto.keyring().current
    first = crypto.seal(ID, context=CTX)
    assert crypto.unseal(first, context=CTX) == ID and crypto.unseal(first, context=CTX) == ID
    assert crypto._primitive(key) is crypto._primitive(crypto.keyring().current)
    # The same key id with another secret (a key replaced under its old name): its own cipher
    # object, so the old tokens no longer open and the new ones do.
    keys.LAOWU_DATA_KEYS = f"k9:{cipher}:{base64.b64encode(b'b' * size).decode()}"
    assert crypto._primitive(crypto.keyring().current) is not crypto._primitive(key)
    with pytest.raises(crypto.SealError):
        crypto.unseal(first, context=CTX)
    second = crypto.seal(ID, context=CTX)
    assert crypto.unseal(second, context=CTX) == ID
    keys.LAOWU_DATA_KEYS = f"k9:{cipher}:{base64.b64encode(b'a' * size).decode()}"
    assert crypto.unseal(first, context=CTX) == ID
    with pytest.raises(crypto.SealError):
        crypto.unseal(second, context=CTX)
