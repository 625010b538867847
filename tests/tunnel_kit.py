"""The edge of a tunnel, for tests: the cloudflared stand-in (tests/fake_cloudflared.py) given to
wrangler through CLOUDFLARED_PATH, the tests' certificate authority, and the environment a
client needs to reach the "public" URL through the stand-in's loopback port (an HTTPS proxy
there), as hosted clients reach the real one."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port
from tests.tls import TestCA, make_ca

STAND_IN = Path(__file__).with_name("fake_cloudflared.py")


@dataclass(frozen=True)
class Edge:
    folder: Path
    ca: TestCA
    port: int

    @property
    def cloudflared(self) -> Path:
        return self.folder / "bin" / "cloudflared"

    @property
    def log(self) -> Path:
        return self.folder / "runs"

    def dev_env(self, **more: str) -> dict[str, str]:
        """For `cfmcp dev --tunnel`: wrangler runs the stand-in; workerd trusts the CA (for a
        client's metadata document served on loopback over https)."""
        return {
            "CLOUDFLARED_PATH": str(self.cloudflared),
            "FAKE_CLOUDFLARED_CA": str(self.ca.folder),
            "FAKE_CLOUDFLARED_PORT": str(self.port),
            "FAKE_CLOUDFLARED_LOG": str(self.log),
            "NODE_EXTRA_CA_CERTS": str(self.ca.cert),
            **more,
        }

    def client_env(self) -> dict[str, str]:
        """For clients of the public URL: the proxy, and trust in the CA (Python, Node)."""
        return {
            "HTTPS_PROXY": f"http://127.0.0.1:{self.port}",
            "https_proxy": f"http://127.0.0.1:{self.port}",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "SSL_CERT_FILE": str(self.ca.cert),
            "NODE_EXTRA_CA_CERTS": str(self.ca.cert),
            "NODE_USE_ENV_PROXY": "1",
        }

    def runs(self) -> list[dict]:
        """What each stand-in run recorded: argv, pid, and once up, its host and origin."""
        found = []
        for path in sorted(self.log.glob("*.json")):
            with contextlib.suppress(OSError, ValueError):
                found.append(json.loads(path.read_text()))
        return found

    @contextlib.contextmanager
    def reachable(self) -> Iterator[None]:
        """Within: this process's HTTP clients reach public URLs through the edge."""
        saved = {name: os.environ.get(name) for name in self.client_env()}
        os.environ.update(self.client_env())
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def make_edge(folder: Path) -> Edge:
    folder.mkdir(parents=True, exist_ok=True)
    ca = make_ca(folder / "ca")
    edge = Edge(folder, ca, free_port())
    edge.cloudflared.parent.mkdir(exist_ok=True)
    edge.cloudflared.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STAND_IN}" "$@"\n')
    edge.cloudflared.chmod(0o755)
    edge.log.mkdir(exist_ok=True)
    return edge


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) is not running.
    with contextlib.suppress(OSError, IndexError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    return True
