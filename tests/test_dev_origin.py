"""`cfmcp dev` on a project with `routes` (a custom domain): wrangler dev would show the Worker
the route's host instead of localhost, and the Worker would refuse every request as addressed
to another host (421). The flags that keep the origin the client used, per wrangler version.
(An upgraded project with a custom-domain route runs under `cfmcp dev` in test_upgrade.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfmcp.project import Project
from cfmcp.wrangler import local_origin_args

ROUTES = 'routes = [{ pattern = "mcp.example.com", custom_domain = true }]\n'


def project_with(tmp_path: Path, config: str, wrangler: str | None) -> Project:
    (tmp_path / "wrangler.toml").write_text('name = "demo"\nmain = "src/index.ts"\n' + config)
    if wrangler is not None:
        package = tmp_path / "node_modules" / "wrangler" / "package.json"
        package.parent.mkdir(parents=True)
        package.write_text(json.dumps({"version": wrangler}))
    return Project(tmp_path)


@pytest.mark.parametrize(
    ("config", "wrangler", "tunnel", "expected"),
    [
        ("", "4.164.0", False, []),
        (ROUTES, "4.164.0", False, ["--infer-origin-from-routes=false"]),
        (ROUTES, "4.164.0", True, ["--infer-origin-from-routes=false"]),
        ('route = "mcp.example.com/*"\n', "4.170.1", False, ["--infer-origin-from-routes=false"]),
        (ROUTES, "4.86.0", False, ["--local-upstream", "localhost:8788"]),
        (ROUTES, "4.86.0", True, []),  # a fixed origin would hide the tunnel's host
        (ROUTES, None, False, ["--local-upstream", "localhost:8788"]),
        (ROUTES, "not-a-version", False, ["--local-upstream", "localhost:8788"]),
    ],
)
def test_local_origin_args(tmp_path, config, wrangler, tunnel, expected):
    project = project_with(tmp_path, config, wrangler)
    assert local_origin_args(project, port=8788, tunnel=tunnel) == expected


def test_a_broken_wrangler_toml_adds_nothing(tmp_path):
    (tmp_path / "wrangler.toml").write_text("name = \n")
    assert local_origin_args(Project(tmp_path), port=8788, tunnel=False) == []
