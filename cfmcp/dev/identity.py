"""Who signs in under `cfmcp dev`: an email address typed on the local sign-in page (or given
with --user), and the ids the stand-ins derive from it. No web framework here: `cfmcp dev`
checks --user with it before it starts anything."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

MAX_EMAIL_LENGTH = 254
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+")


@dataclass(frozen=True)
class DevIdentity:
    email: str = "dev@localhost"

    @property
    def user_id(self) -> str:
        return hashlib.sha256(self.email.encode()).hexdigest()[:32]

    @property
    def account_id(self) -> str:
        return hashlib.sha256(f"account:{self.email}".encode()).hexdigest()[:32]

    def user(self) -> dict[str, Any]:
        local = self.email.split("@", 1)[0]
        return {
            "id": self.user_id,
            "email": self.email,
            "first_name": local.capitalize(),
            "last_name": "(local dev)",
            "username": local,
            "two_factor_authentication_enabled": False,
            "suspended": False,
        }

    def accounts(self) -> list[dict[str, Any]]:
        return [{"id": self.account_id, "name": f"{self.email}'s Account", "type": "standard"}]


def email_problem(email: str) -> str | None:
    """Why `email` cannot be a local sign-in identity, or None."""
    if len(email) > MAX_EMAIL_LENGTH:
        return f"An email address has at most {MAX_EMAIL_LENGTH} characters."
    if not _EMAIL.fullmatch(email):
        return "Enter an email address, like ada@example.com."
    return None
