from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import Storage, default_storage, storages


@pytest.fixture(autouse=True)
def storage(settings: Any) -> Storage:
    """A fresh, empty in-memory default storage for each test, so "nothing stored" can be checked."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    # The instance behind `default_storage` itself (not the lazy proxy), so tests can patch its methods.
    backend = storages["default"]
    assert default_storage.listdir("") == backend.listdir("") == ([], [])
    return backend


def stored_files(storage: Storage, path: str = "") -> list[str]:
    """Every file name in the storage, recursively."""
    dirs, files = storage.listdir(path)
    names = [f"{path}{f}" for f in files]
    for d in dirs:
        names += stored_files(storage, f"{path}{d}/")
    return sorted(names)
