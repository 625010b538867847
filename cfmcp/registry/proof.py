"""Proving a domain namespace (com.example/…) to the MCP Registry over HTTP, as `mcp-publisher
login http` does: an Ed25519 key pair whose public half the domain serves at
`https://<domain>/.well-known/mcp-registry-auth` as `v=MCPv1; k=ed25519; p=<base64 key>`, and
the current time (RFC 3339, UTC) signed with the private half, hex-encoded, sent to
`POST /v0/auth/http`. The registry allows 15 s of clock difference and lists the namespace of
exactly that domain, reversed.

The private key (its 32-byte seed) lives in the OS keyring and nowhere else; with no keyring
there is no proof, and the error says so. The public record goes on the Worker as the secret
MCP_REGISTRY_AUTH, which the template serves (src/registry-proof.ts).
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from cfmcp.errors import CfmcpError

SECRET_NAME = "MCP_REGISTRY_AUTH"
KEYRING_SERVICE = "cfmcp:mcp-registry"
WELL_KNOWN = "/.well-known/mcp-registry-auth"


def domain_of(namespace: str) -> str:
    """com.example.mcp -> mcp.example.com"""
    return ".".join(reversed(namespace.split(".")))


def key_for(domain: str):  # type: ignore[no-untyped-def]
    """The domain's Ed25519 private key from the keyring, made and kept there the first time."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cfmcp.secrets import SecretStore

    store = SecretStore(KEYRING_SERVICE)
    name = f"http-key:{domain}"
    seed = store.get(name)
    if seed:
        try:
            return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))
        except ValueError as exc:
            raise CfmcpError(
                f"The keyring's key for {domain} is not an Ed25519 seed.",
                hint=f"Delete the entry {name!r} of the keyring service {KEYRING_SERVICE!r}; "
                "cfmcp publish then makes a new key (and serves its proof).",
            ) from exc
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization

    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    if not store.set(name, raw.hex()):
        raise CfmcpError(
            f"No OS keyring to keep the key that proves {domain} ({store.unavailable}).",
            hint="cfmcp keeps that key in the keyring only. Run cfmcp publish where one works "
            "(a desktop session), or publish under io.github.<your GitHub user>/… instead.",
        )
    return key


def record(key) -> str:  # type: ignore[no-untyped-def]
    """What the domain serves: `v=MCPv1; k=ed25519; p=<base64 public key>`."""
    from cryptography.hazmat.primitives import serialization

    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)  # fmt: skip
    return f"v=MCPv1; k=ed25519; p={base64.b64encode(public).decode()}"


def signed_now(key, now: datetime | None = None) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(timestamp, hex signature of its bytes), as the registry checks them."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    timestamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return timestamp, key.sign(timestamp.encode()).hex()
