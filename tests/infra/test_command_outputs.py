"""The start/stop/describe outputs run as `$(pulumi stack output NAME)`: checked with bash.

A command substitution's output is split into words and glob-expanded, but its quotes are not
removed and its `$VAR`s are not expanded. Each command below goes through exactly that (bash
`set -- $(printf %s "$CMD")`) and the argv the program would get is compared with the argv
intended.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from infra import commands

REGION = "eu-west-3"
STACK = commands.AgentStack(collection_id="facewatch-dev", data_stream="analysis-data-1a2b3c",
                             snapshot_bucket="storage-audit-4d5e6f", region=REGION,
                             threshold=92.5)  # fmt: skip
AGENT_ARGS = ["--collection", "facewatch-dev", "--stream", "analysis-data-1a2b3c",
              "--snapshot-bucket", "storage-audit-4d5e6f", "--region", REGION,
              "--threshold", "92.5"]  # fmt: skip


def substituted(command: str, extra: str = "") -> list[str]:
    """The argv bash builds from `$(printf %s "$CMD")` (plus `extra`, typed as it is)."""
    script = f'set -- $(printf %s "$CMD") {extra}; printf "%s\\0" "$@"'
    env = {**os.environ, "CMD": command, "RTSP_URL": "rtsp://cam.local/live?ch=1&sub=0"}
    done = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, check=True, timeout=10
    )
    return done.stdout.decode().split("\0")[:-1]


def edge(camera: str, source: str | None = None) -> dict[str, str]:
    return commands.edge_commands(camera, source=source, stack=STACK)


@pytest.mark.parametrize(
    ("which", "verb"),
    [("start", "start-stream-processor"), ("stop", "stop-stream-processor"),
     ("describe", "describe-stream-processor")],
)  # fmt: skip
def test_stream_processor_commands_run_as_substituted(which: str, verb: str) -> None:
    command = commands.stream_processor_commands("front-door", "us-east-1")[which]

    assert substituted(command) == [
        "aws", "rekognition", verb, "--name", "facewatch-front-door", "--region", "us-east-1",
    ]  # fmt: skip


def test_edge_start_carries_a_plain_configured_source() -> None:
    command = edge("garage", source="rtsp://cam.local:554/garage")["start"]

    assert substituted(command) == [
        "facewatch", "camera", "run", "--camera", "garage", *AGENT_ARGS,
        "--source", "rtsp://cam.local:554/garage",
    ]  # fmt: skip


@pytest.mark.parametrize("source", [None, "rtsp://cam/live?ch=1&sub=0", "My Clip.mp4", "it's"])
def test_edge_start_without_a_plain_source_leaves_source_out(source: str | None) -> None:
    # A source that would need quoting (spaces, quotes, glob characters, &) is not written:
    # substituted, its quotes would reach the agent as characters of the source.
    command = edge("yard", source=source)["start"]

    assert substituted(command) == ["facewatch", "camera", "run", "--camera", "yard", *AGENT_ARGS]


def test_edge_start_takes_the_source_after_the_substitution() -> None:
    # The documented form for a camera without a plain `source` in config.
    command = edge("yard")["start"]

    argv = substituted(command, extra='--source "$RTSP_URL"')

    assert argv[-2:] == ["--source", "rtsp://cam.local/live?ch=1&sub=0"]
    assert argv[:-2] == ["facewatch", "camera", "run", "--camera", "yard", *AGENT_ARGS]


def agent_cli_parameters(argv: list[str]) -> dict[str, object]:
    """What `facewatch camera run` parses from argv (parsed only, never run)."""
    from typer.main import get_command

    from facewatch.cli.camera import camera_app

    assert argv[:3] == ["facewatch", "camera", "run"]
    run = get_command(camera_app).commands["run"]  # type: ignore[attr-defined]
    return dict(run.make_context("run", argv[3:]).params)


def test_agent_cli_reads_every_option_of_the_start_output() -> None:
    argv = substituted(edge("garage", source="rtsp://cam.local/garage")["start"])

    parameters = agent_cli_parameters(argv)

    assert {k: parameters[k] for k in ("camera", "source", "collection", "stream")} == {
        "camera": "garage", "source": "rtsp://cam.local/garage",
        "collection": "facewatch-dev", "stream": "analysis-data-1a2b3c",
    }  # fmt: skip
    assert (parameters["snapshot_bucket"], parameters["region"]) == ("storage-audit-4d5e6f", REGION)


def test_agent_cli_asks_for_the_source_a_start_output_leaves_out() -> None:
    argv = substituted(edge("yard")["start"])

    with pytest.raises(Exception, match="source") as raised:
        agent_cli_parameters(argv)
    assert type(raised.value).__name__ == "MissingParameter"


def test_edge_stop_and_describe_run_as_substituted() -> None:
    outputs = edge("front")

    assert substituted(outputs["stop"]) == [
        "pkill", "-INT", "-f", "facewatch.camera.run.--camera.front.--collection",
    ]  # fmt: skip
    assert substituted(outputs["describe"]) == [
        "aws", "kinesis", "describe-stream-summary", "--stream-name", "analysis-data-1a2b3c",
        "--region", REGION,
    ]  # fmt: skip


def agent_command_line(camera: str, source: str = "rtsp://cam.local/s") -> str:
    """/proc/PID/cmdline of an agent started from the output, as pkill -f reads it."""
    start = edge(camera)["start"]
    return f"/opt/venv/bin/python /opt/venv/bin/{start} --source {source}"


@pytest.mark.parametrize(("camera", "other"), [("front", "front-door"), ("front-door", "front")])
def test_stop_pattern_matches_only_its_own_camera(camera: str, other: str) -> None:
    pattern = commands.agent_stop_pattern(camera)

    assert re.search(pattern, agent_command_line(camera))
    assert not re.search(pattern, agent_command_line(other))


def test_stop_pattern_takes_a_dot_in_the_name_literally() -> None:
    pattern = substituted(edge("front.door")["stop"])[-1]

    assert re.search(pattern, agent_command_line("front.door"))
    assert not re.search(pattern, agent_command_line("front-door"))


@pytest.fixture
def two_agents() -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Two stand-in agents whose command lines are the start outputs of `t<pid>-front` and
    `t<pid>-front-door` (names unique to this test run, so no other process can match)."""
    prefix = f"t{os.getpid()}-"
    wait = "import sys, time; print('ready', flush=True); time.sleep(60)"
    agents = {}
    for camera in ("front", "front-door"):
        argv = [sys.executable, "-c", wait, *edge(prefix + camera)["start"].split()]
        agents[camera] = subprocess.Popen(argv, stdout=subprocess.PIPE)
        assert agents[camera].stdout is not None and agents[camera].stdout.readline() == b"ready\n"
    yield {prefix + camera: process for camera, process in agents.items()}
    for process in agents.values():
        process.kill()
        process.wait()


def test_stop_output_interrupts_only_its_camera_agent(
    two_agents: dict[str, subprocess.Popen[bytes]],
) -> None:
    front, front_door = sorted(two_agents)  # "...-front" sorts before "...-front-door"
    stop = edge(front)["stop"]

    subprocess.run(["bash", "-c", '$(printf %s "$CMD")'], env={**os.environ, "CMD": stop},
                   check=True, timeout=10)  # fmt: skip

    assert two_agents[front].wait(timeout=10) != 0  # SIGINT: KeyboardInterrupt
    assert two_agents[front_door].poll() is None


def test_a_name_that_would_need_quoting_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be a word"):
        commands.stream_processor_commands("front door", REGION)


@pytest.mark.parametrize(
    ("partition", "region", "host"),
    [("aws", "eu-west-3", "eu-west-3.console.aws.amazon.com"),
     ("aws-cn", "cn-north-1", "console.amazonaws.cn"),
     ("aws-us-gov", "us-gov-west-1", "console.amazonaws-us-gov.com")],
)  # fmt: skip
def test_console_url_uses_the_partitions_console(partition: str, region: str, host: str) -> None:
    arn = f"arn:{partition}:states:{region}:123456789012:stateMachine:facewatch-dev-match"

    url = commands.state_machine_console_url(arn, region)

    assert url == f"https://{host}/states/home?region={region}#/statemachines/view/{arn}"
