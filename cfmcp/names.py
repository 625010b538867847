"""Cloudflare Worker names: lowercase letters, digits and dashes, 1-63 characters,
no dash at either end."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 63
DEFAULT_NAME = "my-mcp-server"
# Letters that NFKD does not take apart into a base letter and a mark.
_LIGATURES = str.maketrans(
    {"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ß": "ss", "œ": "oe", "Œ": "OE", "ł": "l",
     "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "TH"}
)  # fmt: skip
_VALID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def is_valid_worker_name(name: str) -> bool:
    return bool(_VALID.match(name))


def worker_name_problem(name: str) -> str | None:
    """Why `name` is not a valid Worker name, or None when it is."""
    if not name:
        return "a Worker name cannot be empty"
    if len(name) > MAX_LENGTH:
        return f"a Worker name has at most {MAX_LENGTH} characters ({len(name)} given)"
    if re.search(r"[^a-z0-9-]", name):
        bad = "".join(sorted(set(re.findall(r"[^a-z0-9-]", name))))
        return f"a Worker name may hold only lowercase letters, digits and dashes (not {bad!r})"
    if name.startswith("-") or name.endswith("-"):
        return "a Worker name cannot start or end with a dash"
    return None


def slugify_worker_name(text: str) -> str:
    """The nearest valid Worker name to `text` (a folder name, say)."""
    # Letters with accents keep their base letter (café → cafe, Ærø → aero) rather than vanish.
    ascii_text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    slug = slug[:MAX_LENGTH].rstrip("-")
    return slug or DEFAULT_NAME
