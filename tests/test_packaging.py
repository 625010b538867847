"""The wheel carries the templates, and a non-editable install can run `cfmcp init`."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_wheel_ships_templates_and_works_outside_the_checkout(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO_ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("cfmcp-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    template_files = {
        str(path.relative_to(REPO_ROOT / "templates"))
        for path in (REPO_ROOT / "templates").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    for relative in template_files:
        assert f"cfmcp/templates/{relative}" in names, f"{relative} missing from the wheel"
    assert any(name.endswith("entry_points.txt") for name in names)

    # Run the unpacked wheel, not the checkout: PYTHONPATH wins over the editable install.
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import cfmcp; print(cfmcp.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site)
    project = tmp_path / "from-wheel"
    result = subprocess.run(
        [sys.executable, "-m", "cfmcp", "init", str(project), "--no-install", "--no-git", "-y"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (project / "src" / "index.ts").exists()
