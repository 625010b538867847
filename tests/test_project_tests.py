"""The generated project tests itself: `npm test` runs its tools and its sign-in in workerd,
offline, in both variants, and its tests fail when the code they guard is broken.

Node 20's toolchain runs the same tests in tests/test_node20.py."""

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import copy_project

pytestmark = pytest.mark.integration

NPM_TEST_TIMEOUT = 300

ERAS = ("modern", "legacy")
TOOL_TESTS = (
    "add adds two numbers",
    "add refuses arguments that are not numbers",
    "whoami shows the user who signed in",
    "whoami is still the same user after a refresh",
    "clients of the 2025 protocol get the same tools",
    *(f"about is listed and read ({era} protocol)" for era in ERAS),
    *(f"summarize is listed and fills in its text ({era} protocol)" for era in ERAS),
)
OAUTH_TESTS = (
    "/mcp without a token is 401 and points to the resource metadata",
    "the metadata documents lead a client to sign-in",
    "each MCP endpoint has metadata that names it",
    "clients may name the server by its endpoint's URL",
    "a signed-in client's token opens /mcp",
    "a token that is not this server's is refused",
    "a token for another resource is refused",
    "a refresh gives a working token",
    "a sign-in revoked at the provider ends at the next refresh",
)
SESSION_TESTS = (
    "a session answers its own user's requests",
    "another user's token cannot use the session",
    "the same user through another app cannot use the session",
)


def offline_prefix() -> list[str]:
    """A command prefix that runs in a network namespace of its own with loopback only, so
    nothing can reach the network; [] where this machine can't make one."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return []
    probe = subprocess.run(
        ["unshare", "-rn", "ip", "link", "set", "lo", "up"], capture_output=True, check=False
    )
    return (
        ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
        if (probe.returncode == 0)
        else []
    )


def npm_test(project: Path, *, offline: bool = False, env: dict[str, str] | None = None):
    """`npm test` in `project`, in its own process group, stopped whole if it hangs. Offline
    where the machine can make a network namespace (see test_npm_test_passes_offline)."""
    argv = [*(offline_prefix() if offline else []), "npm", "test"]
    process = subprocess.Popen(
        argv, cwd=project, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=NPM_TEST_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"npm test did not finish in {NPM_TEST_TIMEOUT} s:\n{output}")
    return process.returncode, output


def passed(output: str) -> set[str]:
    return {line[2:].rsplit(" (", 1)[0] for line in output.splitlines() if line.startswith("✔ ")}


def failed(output: str) -> set[str]:
    return {line[2:].rsplit(" (", 1)[0] for line in output.splitlines() if line.startswith("✖ ")}


@pytest.fixture(params=["stateless", "stateful"])
def project(request, tmp_path, worker_project, stateful_project) -> Path:
    source = worker_project if request.param == "stateless" else stateful_project
    return copy_project(source, tmp_path / source.name)


def test_npm_test_passes_offline(project):
    if not offline_prefix():
        pytest.skip("this machine cannot make a network namespace (unshare -rn)")
    code, output = npm_test(project, offline=True)
    assert code == 0, output
    expected = {*TOOL_TESTS, *OAUTH_TESTS}
    if (project / "test/sessions.test.ts").exists():
        expected |= set(SESSION_TESTS)
    assert passed(output) == expected, output
    assert "\N{INFORMATION SOURCE} fail 0" in output


def test_a_wrong_sum_fails_the_add_test(project):
    tools = project / "src/tools/add.ts"
    source = tools.read_text()
    assert source.count("String(a + b)") == 1
    tools.write_text(source.replace("String(a + b)", "String(a + b + 1)"))
    code, output = npm_test(project)
    assert code != 0, output
    assert "add adds two numbers" in failed(output), output
    assert "whoami shows the user who signed in" in passed(output), output
    assert set(OAUTH_TESTS) <= passed(output), output


def test_without_the_token_check_the_401_test_fails(project):
    # Serve /mcp (and /sse) straight from their handlers, past the OAuth provider's check.
    oauth = project / "src/oauth.ts"
    source = oauth.read_text()
    check = "      return await provider.fetch(canonical, requestEnv, ctx);\n"
    assert source.count(check) == 1
    bypass = (
        "      const api = apiHandlers[url.pathname] as ExportedHandler<Env> | undefined;\n"
        "      if (api?.fetch) return await api.fetch(bounded as never, requestEnv, ctx);\n"
    )
    oauth.write_text(source.replace(check, bypass + check))
    code, output = npm_test(project)
    assert code != 0, output
    assert "/mcp without a token is 401 and points to the resource metadata" in failed(output)
    assert "the metadata documents lead a client to sign-in" in passed(output), output
