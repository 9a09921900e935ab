"""A camera machine installs the agent without the Pulumi SDK or moto (``facewatch[agent]``)."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def agent_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with `pip install '<repo>[agent]'` (a wheel build, not editable)."""
    target = tmp_path_factory.mktemp("agent-venv")
    venv.create(target, with_pip=True)
    subprocess.run(
        [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{ROOT}[agent]"],
        check=True,
        capture_output=True,
        text=True,
    )
    return target


def _installed(agent_venv: Path) -> set[str]:
    listed = subprocess.run(
        [str(agent_venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line.split("==")[0].lower() for line in listed.splitlines()}


def test_the_agent_install_has_no_pulumi_and_no_moto(agent_venv: Path) -> None:
    installed = _installed(agent_venv)
    assert "facewatch" in installed
    assert not {p for p in installed if p.startswith(("pulumi", "moto"))}


def test_camera_run_help_works_in_the_agent_install(agent_venv: Path) -> None:
    done = subprocess.run(
        [str(agent_venv / "bin" / "facewatch"), "camera", "run", "--help"],
        capture_output=True,
        text=True,
        cwd=agent_venv,  # not the repository: only what was installed
    )
    assert done.returncode == 0, done.stderr
    assert "--source" in done.stdout


def test_the_wheel_installs_no_generic_top_level_packages(agent_venv: Path) -> None:
    site = next((agent_venv / "lib").glob("python3.*/site-packages"))
    assert (site / "facewatch" / "workflows" / "match.py").is_file()
    assert (site / "facewatch" / "handlers" / "decode.py").is_file()
    for generic in ("workflows", "handlers", "infra"):
        assert not (site / generic).exists(), generic
