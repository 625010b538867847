"""`cfmcp publish`: server.json for every design and provider valid against the registry's
schema (the copy in the package checked against the registry's own, kept in tests/); and
publishing end to end for io.github.<user> against loopback stand-ins for the registry and for
GitHub's device sign-in (tests/fake_registry.py), the GitHub token in the keyring only; and
what goes wrong: no deploy, a domain namespace, a version published already, another user's
namespace, a revoked GitHub token, no keyring, a registry that is down or hangs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cfmcp import registry
from tests.conftest import run_cfmcp
from tests.fake_cloudflare import isolated_env
from tests.fake_registry import RegistryStandIns
from tests.keyring_backend import read_keyring

URL = "https://weather.ada.workers.dev"
PUBLISHED_SCHEMA = Path(__file__).parent / "fixtures" / "registry" / "server.schema.json"


def deployed(root: Path, url: str = URL) -> Path:
    state = json.loads((root / "cfmcp.json").read_text())
    state.setdefault("environments", {})["production"] = {"url": url}
    (root / "cfmcp.json").write_text(json.dumps(state, indent=2) + "\n")
    return root


def made(root: Path, url: str | None = URL) -> Path:
    """A project `cfmcp init` made (no packages), deployed at `url` (None: never deployed)."""
    result = run_cfmcp("init", str(root), "--no-install", "--no-git", "--yes", "--json")
    assert result.returncode == 0, result.stderr
    return deployed(root, url) if url else root


@pytest.fixture
def project(tmp_path) -> Path:
    return made(tmp_path / "weather")


@pytest.fixture
def stand_ins():
    with RegistryStandIns() as running:
        yield running


@pytest.fixture
def env(tmp_path, stand_ins) -> dict[str, str]:
    return isolated_env(tmp_path, **stand_ins.env())


def publish(root: Path, env: dict[str, str], *args: str):
    result = run_cfmcp("-C", str(root), "publish", "--json", *args, env=env, timeout=120)
    return result, json.loads(result.stdout) if result.stdout.strip() else None


def validate_against_published(document: dict) -> list[str]:
    from jsonschema import Draft7Validator

    schema = json.loads(PUBLISHED_SCHEMA.read_text())
    checker = Draft7Validator.FORMAT_CHECKER
    return [
        e.message for e in Draft7Validator(schema, format_checker=checker).iter_errors(document)
    ]


def test_the_schema_cfmcp_ships_is_the_registrys():
    assert registry.SCHEMA_FILE.read_bytes() == PUBLISHED_SCHEMA.read_bytes()
    assert registry.schema()["$id"] == registry.SCHEMA_URL


DESIGNS = [(auth, "stateless") for auth in ("cloudflare", "github", "google", "oidc", "none")]
DESIGNS += [(auth, "stateful") for auth in ("cloudflare", "github", "google", "oidc")]


@pytest.mark.parametrize(("auth", "variant"), DESIGNS)
def test_every_design_and_provider_makes_a_valid_server_json(tmp_path, variant, auth):
    root = tmp_path / "weather"
    options = ["--stateful"] if variant == "stateful" else []
    made = run_cfmcp("init", str(root), "--auth", auth, *options, "--no-install", "--no-git",
                     "--yes", "--json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    deployed(root)
    extra = ["--sse"] if variant == "stateful" else []
    result, report = publish(root, isolated_env(tmp_path), "--dry-run", "--name",
                             "io.github.ada/weather", *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = report["server"]
    assert validate_against_published(document) == []
    assert document["$schema"] == registry.SCHEMA_URL
    remotes = [{"type": "streamable-http", "url": f"{URL}/mcp"}]
    if variant == "stateful":
        remotes.append({"type": "sse", "url": f"{URL}/sse"})
    assert document["remotes"] == remotes
    assert not (root / "server.json").exists()  # --dry-run writes nothing


def test_dry_run_sends_and_writes_nothing(project, env, stand_ins):
    before = (project / "cfmcp.json").read_text()
    result, report = publish(project, env, "--dry-run", "--name", "io.github.ada/weather",
                             "--description", "Weather for everyone.")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert report["dry_run"] is True and report["published"] is False
    assert report["server"]["description"] == "Weather for everyone."
    assert stand_ins.registry.published == [] and stand_ins.github.device_requests == []
    assert (project / "cfmcp.json").read_text() == before
    assert not (project / "server.json").exists()


def test_publishing_signs_in_with_github_and_lists_the_server(project, env, stand_ins, tmp_path):
    result, report = publish(project, env, "--name", "io.github.ada/weather",
                             "--description", "Weather for everyone.")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "open https://github.com/login/device and enter the code WDJB-MJHT" in result.stderr
    [sent] = stand_ins.registry.published
    assert sent == json.loads((project / "server.json").read_text()) == report["server"]
    assert report["published"] is True
    assert report["listing_url"] == (
        f"{stand_ins.url}/v0.1/servers/io.github.ada%2Fweather/versions/0.1.0"
    )
    import httpx2

    listed = httpx2.get(report["listing_url"]).json()
    assert listed["server"]["remotes"] == [{"type": "streamable-http", "url": f"{URL}/mcp"}]
    # The GitHub token is in the keyring, and nowhere on disk or in the output.
    [token] = stand_ins.github.tokens
    assert read_keyring(tmp_path / "keyring.json")["cfmcp:mcp-registry"]["github-token"] == token
    assert token not in result.stdout + result.stderr
    assert token not in (project / "cfmcp.json").read_text()
    state = json.loads((project / "cfmcp.json").read_text())["registry"]
    assert state["name"] == "io.github.ada/weather"
    assert state["description"] == "Weather for everyone."
    assert list(state["published"]) == ["io.github.ada/weather@0.1.0"]

    # The same version again: refused here, before anything is sent.
    again, report = publish(project, env)
    assert again.returncode == 2
    assert "io.github.ada/weather 0.1.0 is published already" in report["error"]
    assert "cfmcp publish --version 0.1.1" in report["hint"]
    # A new version: the kept GitHub sign-in, no new code to enter.
    newer, report = publish(project, env, "--version", "0.1.1")
    assert newer.returncode == 0, newer.stderr
    assert len(stand_ins.github.device_requests) == 1
    assert [d["version"] for d in stand_ins.registry.published] == ["0.1.0", "0.1.1"]


def test_a_revoked_github_token_means_signing_in_again(project, env, stand_ins):
    assert publish(project, env, "--name", "io.github.ada/weather")[0].returncode == 0
    stand_ins.github.revoke_all()
    result, report = publish(project, env, "--version", "0.2.0")
    assert result.returncode == 0, result.stderr
    assert "no longer works: signed in again" in " ".join(report["notes"])
    assert len(stand_ins.github.device_requests) == 2


def test_the_registrys_own_refusals_come_through(project, env, stand_ins):
    result, report = publish(project, env, "--name", "io.github.bob/weather")
    assert result.returncode == 1
    assert "You have permission to publish: io.github.ada/*" in report["error"]
    assert "io.github.<your GitHub user>" in report["hint"]
    # Published elsewhere (another machine): the registry refuses the duplicate.
    stand_ins.registry.servers[("io.github.ada/weather", "0.1.0")] = {}
    result, report = publish(project, env, "--name", "io.github.ada/weather")
    assert result.returncode == 1
    assert "cannot publish duplicate version" in report["error"]
    assert "--version 0.1.1" in report["hint"]


def test_a_refused_github_sign_in_publishes_nothing(project, env, stand_ins):
    stand_ins.github.deny = True
    result, report = publish(project, env, "--name", "io.github.ada/weather")
    assert result.returncode == 1
    assert "refused at GitHub" in report["error"]
    assert stand_ins.registry.published == []


def test_without_a_keyring_the_sign_in_lasts_one_run(project, tmp_path, stand_ins):
    env = isolated_env(tmp_path, **stand_ins.env(),
                       PYTHON_KEYRING_BACKEND="tests.keyring_backend.BrokenKeyring")  # fmt: skip
    result, report = publish(project, env, "--name", "io.github.ada/weather")
    assert result.returncode == 0, result.stderr
    assert "was not kept" in " ".join(report["notes"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "com.example/weather"], "com.example is a domain namespace"),
        (["--name", "weather"], "does not match"),
        (["--name", "io.github.ada/weather", "--description", "x" * 101], "is too long"),
        (["--name", "io.github.ada/weather", "--version", "^1.0.0"], "no `latest`, no range"),
        (["--name", "io.github.ada/weather", "--website", "http://example.com"], "an https URL"),
        (["--name", "io.github.ada/weather", "--sse"], "only a stateful server"),
        (["--name", "io.github.ada/x"], "at least two characters"),
        (["--name", "io.github.ada/weather", "--version", ""], "--version is empty"),
        (["--name", "io.github.ada/weather", "--title", " "], "--title is empty"),
        (
            ["--name", "io.github.ada/weather", "--registry", "http://registry.example.com"],
            "is not an https URL",
        ),
        (
            ["--name", "io.github.ada/weather", "--registry", "ftp://127.0.0.1/"],
            "is not an https URL",
        ),
    ],
)
def test_a_listing_the_registry_would_refuse_is_not_sent(project, env, stand_ins, args, message):
    before = (project / "cfmcp.json").read_text()
    result, report = publish(project, env, *args)
    assert result.returncode in (1, 2), result.stdout
    assert message in report["error"], report
    assert "Traceback" not in result.stderr
    assert stand_ins.registry.published == [] and stand_ins.github.device_requests == []
    assert (project / "cfmcp.json").read_text() == before
    assert not (project / "server.json").exists()


def test_a_github_url_in_the_clear_is_refused_before_anything(project, env, stand_ins):
    """The device code goes there and the token comes back: never over plain http off this
    machine, whatever CFMCP_GITHUB_URL says."""
    env = {**env, "CFMCP_GITHUB_URL": "http://github.example.com"}
    result, report = publish(project, env, "--name", "io.github.ada/weather")
    assert result.returncode == 2, result.stdout
    assert "CFMCP_GITHUB_URL" in report["error"] and "https" in report["error"]
    assert stand_ins.github.device_requests == [] and stand_ins.registry.published == []
    assert not (project / "server.json").exists()


def test_nothing_deployed_nothing_to_list(tmp_path, env):
    root = made(tmp_path / "fresh", None)
    result, report = publish(root, env, "--name", "io.github.ada/fresh")
    assert result.returncode == 1
    assert "Nothing is deployed yet" in report["error"] and "cfmcp deploy" in report["hint"]


def test_a_loopback_url_is_not_listed(tmp_path, env):
    root = made(tmp_path / "local", "http://localhost:8788")
    result, report = publish(root, env, "--name", "io.github.ada/local")
    assert result.returncode == 1
    assert "https URLs only" in report["error"]


def test_a_registry_that_is_down_or_hangs(project, tmp_path, stand_ins):
    from tests.fake_cloudflare import dead_port

    env = isolated_env(tmp_path, CFMCP_REGISTRY_URL=f"http://127.0.0.1:{dead_port()}",
                       CFMCP_GITHUB_URL=f"{stand_ins.url}/github")  # fmt: skip
    result, report = publish(project, env, "--name", "io.github.ada/weather")
    assert result.returncode == 1
    assert "Cannot reach the registry" in report["error"]
    assert "nothing was published" in report["hint"]
    assert "published" not in json.loads((project / "cfmcp.json").read_text())["registry"]

    from cfmcp.registry.client import RegistryClient, RegistryError

    stand_ins.registry.slow = 3.0
    with pytest.raises(RegistryError, match="did not answer in 1 s"):
        RegistryClient(stand_ins.url, timeout=1.0).github_client_id()


@pytest.mark.parametrize(
    ("remote", "repository"),
    [
        ("git@github.com:ada/weather.git", {"url": "https://github.com/ada/weather",
                                            "source": "github"}),
        ("https://gitlab.com/ada/tools/weather.git", {"url": "https://gitlab.com/ada/tools/weather",
                                                      "source": "gitlab"}),
        ("https://example.org/ada/weather.git", None),
    ],
)  # fmt: skip
def test_the_repository_comes_from_the_git_remote(project, env, remote, repository):
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "remote", "add", "origin", remote], cwd=project, check=True)
    result, report = publish(project, env, "--dry-run", "--name", "io.github.ada/weather")
    assert result.returncode == 0, result.stderr
    assert report["server"].get("repository") == repository
    assert validate_against_published(report["server"]) == []


@pytest.mark.integration
def test_a_domain_namespace_is_proved_by_the_worker_itself(
    worker_project, tmp_path, api, stand_ins
):
    """The key made and kept in the keyring, its proof put on the Worker as a secret (the
    fake Cloudflare API), served by the Worker at /.well-known/mcp-registry-auth (under cfmcp
    dev), read by the registry, which checks the signed time with it."""
    import httpx2

    from tests.conftest import copy_project
    from tests.devserver import cfmcp_dev

    root = deployed(copy_project(worker_project, tmp_path / "weather"), "https://mcp.example.test")
    env = isolated_env(tmp_path, api, **stand_ins.env())
    name = ["--name", "test.example.mcp/weather", "--description", "Weather, proved."]
    with cfmcp_dev(root) as running:
        proof_url = f"{running.url}/.well-known/mcp-registry-auth"
        assert httpx2.get(proof_url).status_code == 404  # nothing to prove yet
        stand_ins.registry.domains["mcp.example.test"] = running.url
        # First run: the proof goes on the deployed Worker, which this dev Worker is not, so
        # the registry cannot read it: a clear error, and nothing published.
        result, report = publish(root, env, *name)
        assert result.returncode == 1, result.stdout
        import tomlkit

        worker = tomlkit.parse((root / "wrangler.toml").read_text())["name"]
        served = api.scripts[worker].secrets["MCP_REGISTRY_AUTH"]
        assert re.fullmatch(r"v=MCPv1; k=ed25519; p=[A-Za-z0-9+/]{43}=", served)
        assert "no MCPv1 ed25519 record at mcp.example.test (404)" in report["error"]
        assert served in report["hint"] and stand_ins.registry.published == []
    # The private key is in the keyring only; the proof, in cfmcp.json and on the Worker.
    keys = read_keyring(tmp_path / "keyring.json")["cfmcp:mcp-registry"]
    assert (
        list(keys) == ["http-key:mcp.example.test"] and len(keys["http-key:mcp.example.test"]) == 64
    )
    (root / ".dev.vars").write_text(f'MCP_REGISTRY_AUTH="{served}"\n')
    with cfmcp_dev(root) as running:
        stand_ins.registry.domains["mcp.example.test"] = running.url
        answer = httpx2.get(f"{running.url}/.well-known/mcp-registry-auth")
        assert answer.status_code == 200 and answer.text == served
        assert answer.headers["content-type"].startswith("text/plain")
        api.scripts[worker].secrets.clear()
        result, report = publish(root, env, *name)
        assert result.returncode == 0, result.stdout + result.stderr
        assert [d["name"] for d in stand_ins.registry.published] == ["test.example.mcp/weather"]
        assert stand_ins.registry.proofs_read[-1] == served
        assert api.scripts[worker].secrets == {}  # put once: the same proof is not put again


def test_a_domain_namespace_needs_a_keyring_for_its_key(tmp_path, stand_ins):
    root = made(tmp_path / "weather", "https://mcp.example.test")
    env = isolated_env(tmp_path, **stand_ins.env(),
                       PYTHON_KEYRING_BACKEND="tests.keyring_backend.BrokenKeyring")  # fmt: skip
    result, report = publish(root, env, "--name", "test.example.mcp/weather")
    assert result.returncode == 1
    assert "No OS keyring to keep the key that proves mcp.example.test" in report["error"]
    assert "io.github.<your GitHub user>" in report["hint"]
    assert "proofs" not in json.loads((root / "cfmcp.json").read_text()).get("registry", {})


def test_a_domain_namespace_of_another_host_is_refused(tmp_path, env):
    root = made(tmp_path / "weather", "https://mcp.example.test")
    result, report = publish(root, env, "--name", "test.example/weather")
    assert result.returncode == 1
    assert "the server is deployed at mcp.example.test" in report["error"]
    assert "--name test.example.mcp/<server>" in report["hint"]


def test_doctor_checks_the_listing_points_at_the_deployed_server(project, env, stand_ins):
    assert publish(project, env, "--name", "io.github.ada/weather")[0].returncode == 0

    def registry_check() -> dict:
        result = run_cfmcp("-C", str(project), "doctor", "--json", env=env, timeout=120)
        checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
        return checks["MCP Registry"]

    check = registry_check()
    assert check["status"] == "pass" and f"{URL}/mcp" in check["message"]
    deployed(project, "https://weather-2.ada.workers.dev")
    check = registry_check()
    assert check["status"] == "warn"
    assert "deployed at https://weather-2.ada.workers.dev" in check["message"]
    assert "cfmcp publish --version" in check["fix"]
    stand_ins.registry.servers.clear()
    assert "is not in the registry any more" in registry_check()["message"]
