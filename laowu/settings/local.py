"""Local development (`make run`): SQLite under var/, a per-checkout secret key."""

from __future__ import annotations

import base64
import secrets

from .base import *  # noqa: F403
from .base import DATA_DIR, LAOWU_AUDIT_DEV_HMAC_KEY, env

DEBUG = env.bool("DEBUG", default=True)


def _local_secret_key() -> str:
    # Generated on first use and kept under var/ so sessions survive restarts, yet no
    # secret is ever committed.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()


def _local_data_keys() -> tuple[str, str, str]:
    # Like the secret key: made on first use, kept under var/ beside the database they seal.
    path = DATA_DIR / "data_keys"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        entry = f"local1:sm4:{base64.b64encode(secrets.token_bytes(16)).decode()}"
        path.write_text(f"{entry}\nlocal1\n{base64.b64encode(secrets.token_bytes(32)).decode()}\n")
        path.chmod(0o600)
    keys, key_id, index_key = path.read_text().split()
    return keys, key_id, index_key


if not env.str("LAOWU_DATA_KEYS", default=""):
    LAOWU_DATA_KEYS, LAOWU_DATA_KEY_ID, LAOWU_BLIND_INDEX_KEY = _local_data_keys()
LAOWU_DEMO_DATA_ALLOWED = True

# A fixed audit key when none is given: production refuses this one (production.py).
LAOWU_AUDIT_HMAC_KEY = env.str("LAOWU_AUDIT_HMAC_KEY", default="") or LAOWU_AUDIT_DEV_HMAC_KEY
