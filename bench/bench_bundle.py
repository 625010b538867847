"""What a project uploads (raw and gzip, as wrangler reports it), against the aims of 320 KiB
gzip for the default project and 400 KiB with one MCP App added (`cfmcp add app`): the default
(stateless, Cloudflare sign-in), then with one app, two apps, and a tool, a resource and a
prompt added; and, for comparison, every provider and the stateful design as generated, and
the default without `minify = true`. Also what the app's view alone weighs.

    python bench/bench_bundle.py

Runs on the machine's Node 22.19+ if it has one, else on the one the test suite fetches; one
`npm ci`, shared by every project.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_variants import bundle, run
from tests import nodes

AIMS = {"default": 320.0, "one app": 400.0}


def make(scratch: Path, name: str, *options: str) -> Path:
    root = scratch / f"{name}-mcp"
    run(sys.executable, "-m", "cfmcp", "init", str(root), *options, "--no-install", "--no-git",
        "--toolchain", "current")  # fmt: skip
    return root


def add(root: Path, *args: str) -> None:
    run(sys.executable, "-m", "cfmcp", "-C", str(root), "add", *args)


def main() -> None:
    nodes.put_current_node_first()
    scratch = Path(tempfile.mkdtemp(prefix="cfmcp-bench-bundle-"))
    try:
        projects = {
            "default": make(scratch, "default"),
            "one app": make(scratch, "one-app"),
            "two apps": make(scratch, "two-apps"),
            "a tool, a resource, a prompt": make(scratch, "pieces"),
            "not minified": make(scratch, "unminified"),
            "github": make(scratch, "github", "--auth", "github"),
            "google": make(scratch, "google", "--auth", "google"),
            "oidc": make(scratch, "oidc", "--auth", "oidc"),
            "none": make(scratch, "none", "--auth", "none"),
            "stateful": make(scratch, "stateful", "--stateful"),
        }
        first = projects["default"]
        run("npm", "ci", "--no-fund", "--no-audit", cwd=first)
        for root in list(projects.values())[1:]:
            (root / "node_modules").symlink_to(first / "node_modules", target_is_directory=True)
        add(projects["one app"], "app", "dashboard", "--param", "week:integer")
        add(projects["two apps"], "app", "dashboard")
        add(projects["two apps"], "app", "chart")
        pieces = projects["a tool, a resource, a prompt"]
        add(pieces, "tool", "get_weather", "--param", "city:string")
        add(pieces, "resource", "notes", "--uri", "resource://notes/{id}")
        add(pieces, "prompt", "review", "--arg", "code")
        toml = projects["not minified"] / "wrangler.toml"
        toml.write_text(toml.read_text().replace("minify = true", "minify = false"))

        report: dict = {"node": run("node", "--version").stdout.strip()}
        for label, root in projects.items():
            raw, zipped = bundle(root, scratch / f"{root.name}-out")
            entry: dict = {"KiB": raw, "gzip KiB": zipped}
            if label in AIMS:
                entry["aim gzip KiB"] = AIMS[label]
                entry["within aim"] = zipped <= AIMS[label]
            report[label] = entry
        view = (projects["one app"] / "dist" / "apps" / "dashboard.html").read_bytes()
        report["one app's view"] = {
            "KiB": round(len(view) / 1024, 1),
            "gzip KiB": round(len(gzip.compress(view)) / 1024, 1),
        }
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
