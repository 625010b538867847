"""No process outlives cfmcp: every child runs in its own process group, and the whole group is
stopped on a timeout, an error or Ctrl-C. `subprocess.run(timeout=…)` killed only wrangler's
launcher; its node child kept calling the API under PID 1 (5,316 requests in one case)."""

import subprocess
import sys

import pytest

from cfmcp.errors import CfmcpError
from cfmcp.process import group_alive, run_group, wait_group_gone
from cfmcp.project import Project
from tests.conftest import copy_project
from tests.fake_cloudflare import isolated_env


@pytest.fixture
def started(monkeypatch) -> list[subprocess.Popen]:
    """Every Popen started during the test, to look for what is left of their groups."""
    processes: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    class RecordingPopen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            processes.append(self)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    return processes


def test_a_timeout_stops_the_grandchildren_too(started):
    script = "sleep 300 & sleep 300 & wait"  # children the leader does not stop itself
    with pytest.raises(subprocess.TimeoutExpired):
        run_group(["sh", "-c", script], timeout=1)
    [process] = started
    assert wait_group_gone(process.pid, timeout=10)


def test_a_normal_exit_leaves_no_orphan(started):
    result = run_group([sys.executable, "-c", "import subprocess, sys; "
                        "subprocess.Popen(['sleep', '300']); print('done')"])  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip() == "done"
    [process] = started
    assert wait_group_gone(process.pid, timeout=10)


def test_an_interrupt_stops_the_group(started, monkeypatch):
    real_wait = subprocess.Popen.wait
    calls = []

    def interrupted_once(self, *args, **kwargs):  # Ctrl-C while waiting for the child
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real_wait(self, *args, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "wait", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        run_group(["sh", "-c", "sleep 300 & sleep 300"])
    [process] = started
    assert wait_group_gone(process.pid, timeout=10)
    assert not group_alive(process.pid)


@pytest.mark.integration
def test_wrangler_against_a_hung_api_leaves_nothing_running(
    worker_project, tmp_path, api, started, monkeypatch
):
    from cfmcp.wrangler import run_wrangler

    project = copy_project(worker_project, tmp_path / "hung")
    for key, value in isolated_env(tmp_path, api).items():
        monkeypatch.setenv(key, value)
    api.hang()
    with pytest.raises(CfmcpError) as caught:
        run_wrangler(Project(project), ["kv", "namespace", "list"], timeout=8)
    assert "did not finish within 8 s" in caught.value.message
    assert started, "wrangler was not started"
    for process in started:
        assert wait_group_gone(process.pid, timeout=10), "a wrangler process outlived cfmcp"
    assert api.requests == []  # it hung on the first request: none was answered
