"""Keyring backends for tests: a JSON file instead of the OS keyring, and one that always fails.

In-process: `use_backend(monkeypatch, FileKeyring(path))`. In a subprocess (cfmcp run as a user runs
it): `PYTHON_KEYRING_BACKEND=tests.keyring_backend.FileKeyring`, `CFMCP_TEST_KEYRING=<file>`
and PYTHONPATH including the repository root.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import KeyringError, PasswordDeleteError

FILE_VARIABLE = "CFMCP_TEST_KEYRING"


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        # Viable only where a test asked for it (keyring checks this even for a named backend).
        if FILE_VARIABLE not in os.environ:
            raise RuntimeError(f"a test backend: set {FILE_VARIABLE}")
        return 0.5

    def __init__(self, path: str | os.PathLike[str] | None = None):
        super().__init__()
        self.path = Path(path or os.environ.get(FILE_VARIABLE) or "cfmcp-test-keyring.json")

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        self.path.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(username)
        del data[service][username]
        self._save(data)


class BrokenKeyring(KeyringBackend):
    """A backend that is there but errors, like Secret Service without a D-Bus session."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("a test backend")

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("the keyring daemon is not running")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("the keyring daemon is not running")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("the keyring daemon is not running")


def read_keyring(path: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def use_backend(monkeypatch, backend: KeyringBackend) -> KeyringBackend:
    """Make `backend` the process's keyring for one test (restored afterwards)."""
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    return backend
