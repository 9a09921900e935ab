"""`facewatch local down` signals only the local server it started, never a reused pid."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facewatch.cli import app
from facewatch.local.state import is_local_server, pid_alive, read_state, write_state

runner = CliRunner()


@pytest.fixture
def unrelated() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not the local server (as after a crash and pid reuse)."""
    code = "import time; print('ready', flush=True); time.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        yield process
    finally:
        process.kill()
        process.wait()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_down_refuses_to_signal_a_pid_that_is_not_the_local_server(
    tmp_path: Path, unrelated: subprocess.Popen[bytes]
) -> None:
    # Given a state file whose pid belongs to an unrelated live process
    write_state(tmp_path, {"pid": unrelated.pid, "endpointUrl": "http://127.0.0.1:1"})
    # When the user runs `local down`
    result = runner.invoke(app, ["local", "down", "--root", str(tmp_path)])
    # Then it refuses with a clear line, and the process survives
    assert result.exit_code != 0
    assert "not the facewatch local server" in result.output
    assert unrelated.poll() is None and pid_alive(unrelated.pid)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_the_refused_stale_record_is_removed(
    tmp_path: Path, unrelated: subprocess.Popen[bytes]
) -> None:
    write_state(tmp_path, {"pid": unrelated.pid, "endpointUrl": "http://127.0.0.1:1"})
    runner.invoke(app, ["local", "down", "--root", str(tmp_path)])
    assert read_state(tmp_path) is None


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_a_process_running_the_server_module_is_recognised(tmp_path: Path) -> None:
    # Given a process started as `python -m facewatch.local.server --help` would be named
    code = "import time; print('ready', flush=True); time.sleep(60)"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "facewatch.local.server"], stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        # Then its command line identifies it (the argument, not a substring of another)
        assert is_local_server(process.pid)
    finally:
        process.kill()
        process.wait()
