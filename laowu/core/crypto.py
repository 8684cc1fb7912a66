"""Personal data sealed at rest: an authenticated cipher with key ids, and a keyed blind index.

A sealed value is one ASCII token, ``s1.<key id>.<cipher>.<base64url(nonce | ciphertext | tag)>``:
the key id says which key opens it, so keys can be rotated (new values under the current key,
old ones re-sealed by `manage.py rotate_keys`) without a flag day. The cipher is SM4-GCM (GB/T
32907, the national standard block cipher) by default; AES-256-GCM is selectable per key. Each value
is bound to where it lives (``context``, e.g. ``personnel.safetyofficer.id_number``) as associated
data, so a ciphertext copied into another column or table does not open there.

A sealed column cannot be compared in SQL — the same value seals differently every time. Equality
(uniqueness, exact search) goes through a blind index instead: HMAC-SM3 of the normalised value
under a key of its own, so the index reveals nothing without that key and the data keys can rotate
without re-indexing.

Keys come from settings (`LAOWU_DATA_KEYS`, `LAOWU_DATA_KEY_ID`, `LAOWU_BLIND_INDEX_KEY`), which
production reads from the environment and refuses to start without (laowu/settings/production.py).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hmac as std_hmac
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "s1"
SM4 = "sm4"
AES = "aes"
KEY_BYTES = {SM4: 16, AES: 32}
NONCE_BYTES = 12
TAG_BYTES = 16


class SealError(ValueError):
    """A token that does not open: tampered with, bound elsewhere, or its key is missing."""


@dataclasses.dataclass(frozen=True)
class DataKey:
    key_id: str
    cipher: str
    secret: bytes


@dataclasses.dataclass(frozen=True)
class Keyring:
    keys: dict[str, DataKey]
    current: DataKey
    index_key: bytes


def parse_keys(text: str) -> dict[str, DataKey]:
    """``LAOWU_DATA_KEYS``: comma-separated ``<key id>:<sm4|aes>:<base64 key>`` entries."""
    keys: dict[str, DataKey] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        try:
            key_id, cipher, encoded = entry.split(":", 2)
            secret = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured(
                "LAOWU_DATA_KEYS 格式应为“密钥编号:sm4或aes:Base64密钥”，多个以逗号分隔。"
            ) from exc
        if not key_id.isalnum() or cipher not in KEY_BYTES or len(secret) != KEY_BYTES[cipher]:
            raise ImproperlyConfigured(
                f"LAOWU_DATA_KEYS 中的密钥“{key_id}”无效：编号只能含字母和数字，"
                f"SM4 密钥须为16字节，AES-256 密钥须为32字节。"
            )
        keys[key_id] = DataKey(key_id, cipher, secret)
    return keys


def new_key_entry(key_id: str, cipher: str = SM4) -> str:
    """A fresh random key in the ``LAOWU_DATA_KEYS`` entry format (for set-up and rotation)."""
    return f"{key_id}:{cipher}:{base64.b64encode(os.urandom(KEY_BYTES[cipher])).decode()}"


@functools.cache
def load_keyring(keys_text: str, current_id: str, index_text: str) -> Keyring:
    """The keyring the three settings describe; `ImproperlyConfigured` (in Chinese) if any is wrong."""
    keys = parse_keys(keys_text)
    if current_id not in keys:
        raise ImproperlyConfigured(f"LAOWU_DATA_KEY_ID“{current_id}”不在 LAOWU_DATA_KEYS 中。")
    try:
        index_key = base64.b64decode(index_text, validate=True)
    except binascii.Error as exc:
        raise ImproperlyConfigured("LAOWU_BLIND_INDEX_KEY 必须是 Base64 编码的密钥。") from exc
    if len(index_key) < 32:
        raise ImproperlyConfigured("LAOWU_BLIND_INDEX_KEY 至少须为32字节。")
    return Keyring(keys=keys, current=keys[current_id], index_key=index_key)


def keyring() -> Keyring:
    # Keyed on the settings' values, so a test overriding them gets its own keyring.
    return load_keyring(settings.LAOWU_DATA_KEYS, settings.LAOWU_DATA_KEY_ID, settings.LAOWU_BLIND_INDEX_KEY)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Bounded anyway: a keyring holds a handful of keys, but tests make many.
@functools.lru_cache(maxsize=64)
def _primitive(key: DataKey) -> AESGCM | algorithms.SM4:
    """The key's cipher object, made once per key rather than per value: for AES-GCM, setting
    up the key was half of opening a value, and a list page opens a few dozen. An SM4-GCM context
    is bound to its nonce, so only the key object is kept and a context is still made per value.
    Keyed by the key itself (id, cipher and secret, as `load_keyring` already keeps them): a
    replaced secret is another key with its own object, so none can outlive or serve another
    key. Both objects are immutable and safe to share between threads."""
    if key.cipher == AES:
        return AESGCM(key.secret)
    return algorithms.SM4(key.secret)


def _encrypt(key: DataKey, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    primitive = _primitive(key)
    if isinstance(primitive, AESGCM):
        return primitive.encrypt(nonce, plaintext, aad)
    encryptor = Cipher(primitive, modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _decrypt(key: DataKey, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    primitive = _primitive(key)
    if isinstance(primitive, AESGCM):
        return primitive.decrypt(nonce, sealed, aad)
    body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    decryptor = Cipher(primitive, modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(body) + decryptor.finalize()


def _aad(key: DataKey, context: str) -> bytes:
    # The header is authenticated too: a token relabelled with another key id or cipher fails.
    return f"{VERSION}.{key.key_id}.{key.cipher}|{context}".encode()


def seal(plaintext: str, *, context: str) -> str:
    """`plaintext` encrypted under the current key, bound to `context`."""
    key = keyring().current
    nonce = os.urandom(NONCE_BYTES)
    sealed = _encrypt(key, nonce, plaintext.encode(), _aad(key, context))
    return f"{VERSION}.{key.key_id}.{key.cipher}.{_b64(nonce + sealed)}"


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(VERSION + ".") and value.count(".") == 3


def key_id_of(token: str) -> str:
    return token.split(".", 3)[1]


def unseal(token: str, *, context: str) -> str:
    """The plaintext of a token sealed for `context`; `SealError` if it does not open."""
    if not is_sealed(token):
        raise SealError("不是加密数据。")
    _, key_id, cipher, body = token.split(".", 3)
    key = keyring().keys.get(key_id)
    if key is None or key.cipher != cipher:
        raise SealError(f"缺少密钥“{key_id}”，无法解密。")
    try:
        raw = _unb64(body)
        plaintext = _decrypt(key, raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(key, context))
        return plaintext.decode()
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise SealError("加密数据已被篡改或不属于此处。") from exc


def seal_bytes(data: bytes, *, context: str) -> bytes:
    """`data` (a file: a printed sheet) sealed like `seal`, as ``s1.<key id>.<cipher>\\n`` then
    nonce | ciphertext | tag."""
    key = keyring().current
    nonce = os.urandom(NONCE_BYTES)
    header = f"{VERSION}.{key.key_id}.{key.cipher}\n".encode()
    return header + nonce + _encrypt(key, nonce, data, _aad(key, context))


def is_sealed_bytes(data: bytes) -> bool:
    return data.startswith(VERSION.encode() + b".") and b"\n" in data[:64]


def unseal_bytes(data: bytes, *, context: str) -> bytes:
    if not is_sealed_bytes(data):
        raise SealError("不是加密数据。")
    header, raw = data.split(b"\n", 1)
    try:
        _, key_id, cipher = header.decode("ascii").split(".")
    except (UnicodeDecodeError, ValueError) as exc:
        raise SealError("加密数据已被篡改。") from exc
    key = keyring().keys.get(key_id)
    if key is None or key.cipher != cipher:
        raise SealError(f"缺少密钥“{key_id}”，无法解密。")
    try:
        return _decrypt(key, raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(key, context))
    except (InvalidTag, ValueError) as exc:
        raise SealError("加密数据已被篡改或不属于此处。") from exc


# What `manage.py rotate_keys` runs besides the sealed columns: each app holding sealed data
# elsewhere (a JSON field, a file) registers a function re-sealing it under the current key and
# returning how many items it re-sealed (or dropped to be made again).
ROTATIONS: dict[str, Callable[[], int]] = {}


def register_rotation(name: str, rotate: Callable[[], int]) -> None:
    ROTATIONS[name] = rotate


def current_prefix() -> str:
    """How every token sealed under the current key starts."""
    key = keyring().current
    return f"{VERSION}.{key.key_id}.{key.cipher}."


def needs_rotation(token: str) -> bool:
    """Sealed under a key other than the current one (`rotate_keys` re-seals it)."""
    return is_sealed(token) and key_id_of(token) != keyring().current.key_id


def blind_index(value: str, *, context: str) -> str:
    """HMAC-SM3 of `value` for `context`, as hex: equal values give equal indexes, and
    nothing about the value can be learnt from it without the index key."""
    mac = crypto_hmac.HMAC(keyring().index_key, hashes.SM3())
    mac.update(context.encode() + b"\x00" + value.encode())
    return mac.finalize().hex()


def same_index(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a, b)
