"""The command line's errors and help: one line with the fix, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from facewatch.cli import app

from .conftest import free_port

runner = CliRunner()


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ") and "(fix: " in lines[0], output
    return lines[0]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No local mode running in this folder, no region from the machine's profile.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACEWATCH_HOME", str(tmp_path / ".facewatch"))
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["local"],
        ["local", "up"],
        ["local", "down"],
        ["local", "status"],
        ["faces"],
        ["faces", "add"],
        ["faces", "list"],
        ["faces", "remove"],
        ["executions"],
        ["executions", "list"],
        ["executions", "show"],
        ["camera"],
        ["camera", "run"],
        ["demo"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_listing_without_any_target_names_the_flag_to_pass() -> None:
    result = runner.invoke(app, ["executions", "list"])
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "--state-machine" in line and "facewatch local up" in line


def test_faces_list_without_bucket_asks_for_bucket() -> None:
    result = runner.invoke(app, ["faces", "list", "--region", "us-east-1"])
    assert result.exit_code == 2
    assert "--bucket" in one_error_line(result.output)


def test_missing_photo_is_reported_before_any_upload(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["faces", "add", str(tmp_path / "nope.jpg"), "--name", "Ada", "--bucket", "b"]
    )
    assert result.exit_code == 2
    assert "nope.jpg is not a file" in one_error_line(result.output)


def test_empty_name_is_refused(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"x")
    result = runner.invoke(app, ["faces", "add", str(photo), "--name", " ", "--bucket", "b"])
    assert result.exit_code == 2
    assert "--name is empty" in one_error_line(result.output)


def test_stack_without_pulumi_cli_says_how_to_proceed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    result = runner.invoke(app, ["faces", "list", "--stack", "dev"])
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "Pulumi CLI is not installed" in line and "--bucket" in line


def test_unreachable_endpoint_suggests_starting_the_local_mode() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["faces", "list", "--endpoint-url", url])
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert line.startswith(f"error: cannot reach {url}") and "facewatch local up" in line


def test_bad_camera_spec_is_refused() -> None:
    result = runner.invoke(app, ["local", "up", "--camera", "door"])
    assert result.exit_code == 2
    assert "NAME=SOURCE" in one_error_line(result.output)


@pytest.mark.parametrize("name", ["bad name", "door/1", "x" * 200, "über"])
def test_camera_name_that_camera_run_refuses_is_refused_at_up(name: str) -> None:
    # given a camera name the agent and the stack refuse; when `local up` is given it
    result = runner.invoke(app, ["local", "up", "--camera", f"{name}=0"])
    # then it stops before starting anything, naming the rule
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "camera name" in line and "camera run" in line
    assert not Path(".facewatch/local.json").exists()


def test_status_when_not_running_exits_1_with_the_command_to_start() -> None:
    result = runner.invoke(app, ["local", "status"])
    assert result.exit_code == 1
    assert "facewatch local up" in result.output


def test_explicit_resource_flags_win_over_a_running_local_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a local mode is running
    from facewatch.cli import common as cli_common

    local_state = {"pid": 1, "endpointUrl": "http://127.0.0.1:5123", "facesBucket": "local-faces"}
    monkeypatch.setattr(cli_common, "running_local", lambda root: local_state)
    # when: the stack's enrol command passes the deployed bucket and region
    target = cli_common.resolve_target(region="eu-west-1", faces_bucket="stack-faces-abc")
    # then: the command talks to AWS with those names, not to the local endpoint
    assert target.endpoint_url is None
    assert target.faces_bucket == "stack-faces-abc"
    assert target.region == "eu-west-1"


def test_without_flags_a_running_local_mode_is_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    from facewatch.cli import common as cli_common

    local_state = {"pid": 1, "endpointUrl": "http://127.0.0.1:5123", "region": "us-east-1"}
    monkeypatch.setattr(cli_common, "running_local", lambda root: local_state)
    # when
    target = cli_common.resolve_target()
    # then
    assert target.endpoint_url == "http://127.0.0.1:5123"


def test_long_output_lines_are_not_broken_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given: output that is not a terminal (a CI log, a file) and a line wider than 80 columns
    from facewatch.cli.common import console

    path = (
        "s3://facewatch-audit-0123456789abcdef/snapshots/front-door-camera/1795476517185/face-0.jpg"
    )
    line = f"ALERT Lin-Manuel Miranda on camera stage, similarity 81.0, snapshot: {path}"
    # when
    console().print(line)
    # then: the path stays on one line
    assert path in capsys.readouterr().out


def test_a_reused_pid_is_not_taken_for_the_local_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: local.json names a live process that is not the local server (a reused pid)
    import json
    import subprocess
    import sys

    from facewatch.cli import common as cli_common

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / "local.json").write_text(
            json.dumps({"pid": other.pid, "endpointUrl": "http://127.0.0.1:5999"})
        )
        # when
        state = cli_common.running_local(tmp_path)
        # then
        assert state is None
    finally:
        other.kill()
        other.wait()
