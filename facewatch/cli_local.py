"""`facewatch local up | down | status`: the local mode as a background process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from facewatch.cli_common import (
    CliError,
    RootOpt,
    cli_errors,
    console,
    execution_summary,
    running_local,
)
from facewatch.local.state import (
    StatePaths,
    UnverifiableProcess,
    clear_state,
    default_root,
    is_local_server,
    pid_alive,
    read_launch,
    read_state,
    write_launch,
)
from facewatch.workflows.records import CAMERA_NAME_MAX, is_valid_camera_name


class PassthroughChannel(StrEnum):
    slack = "slack"
    whatsapp = "whatsapp"
    webhook = "webhook"


local_app = typer.Typer(
    name="local",
    help="Run the whole pipeline on this machine (no AWS account needed).",
    no_args_is_help=True,
    add_completion=False,
)

SAMPLE_CLIP = (
    Path(__file__).resolve().parents[1] / "sample_data" / "video" / ("short_hamilton_clip.mp4")
)
DEFAULT_PORT = 5000


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text("utf-8", "replace").strip().splitlines()[-lines:])
    except OSError:
        return "no log"


def _threshold_note(configured: float) -> str | None:
    """What `up` says when a stack file's threshold is not what the local engine applies."""
    from facewatch.engine.embedding import LOCAL_MODE_THRESHOLD

    if configured == LOCAL_MODE_THRESHOLD:
        return None
    return (
        f"note: faceMatchThreshold {configured:g} is on Rekognition's scale; the local face "
        f"engine applies {LOCAL_MODE_THRESHOLD:g} on its own (dlib's same-person tolerance), "
        "which makes the decisions Rekognition makes at 80 to 99 (README, Local face engine)"
    )


def _cameras(camera: list[str] | None, config: Path | None, webhook_url: str | None) -> list[str]:
    """NAME=SOURCE items for the server; validates the stack file first (clear error here,
    not in the background process's log)."""
    from facewatch.local.stack_config import (
        StackConfigError,
        check_local_webhook_url,
        load_stack_file,
    )

    try:
        if webhook_url:
            check_local_webhook_url(webhook_url)
        stack = load_stack_file(config) if config is not None else None
    except StackConfigError as error:
        raise CliError(
            str(error), "fix the file (or the option) and run `local up` again"
        ) from error
    given = list(camera or [])
    for item in given:
        name, _, source = item.partition("=")
        if not name or not source:
            raise CliError(f"--camera {item!r} is not NAME=SOURCE", "e.g. --camera door=0")
        if not is_valid_camera_name(name):
            raise CliError(
                f"--camera {item!r}: camera name {name!r} is not allowed (the same rule as "
                f"`facewatch camera run`: letters, digits, '_', '.', '-', at most "
                f"{CAMERA_NAME_MAX} characters)",
                "e.g. --camera front-door=0",
            )
    if stack is None:
        return given or ([f"stage={SAMPLE_CLIP}"] if SAMPLE_CLIP.is_file() else [])
    note = _threshold_note(stack.face_match_threshold)
    if note:
        console().print(note, highlight=False)
    named = {item.partition("=")[0] for item in given}
    for cam in stack.cameras:
        if cam.source is None and cam.name not in named and SAMPLE_CLIP.is_file():
            given.append(f"{cam.name}={SAMPLE_CLIP}")
    return given


@local_app.command("up")
@cli_errors
def up(
    port: Annotated[int, typer.Option(help="Port of the local endpoint on 127.0.0.1.")] = (
        DEFAULT_PORT
    ),
    camera: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=SOURCE (file, webcam index or URL) for the camera's stream processor; "
            "repeatable. Default: stage=<bundled sample clip>.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="A stack file (e.g. Pulumi.dev.yaml): threshold, dedupe window, unknown-face "
            "alerts, channels and cameras are read from it and validated as `pulumi up` does "
            "(tokens are encrypted there: placeholders locally). A stack camera without a "
            "source plays the sample clip unless --camera names one. Default: no file, the "
            "local example (every channel, placeholder addresses).",
        ),
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="Webhook URL to use instead of the configured one (enables the webhook "
            "channel); http://127.0.0.1:PORT/... is accepted locally and sent there for real.",
        ),
    ] = None,
    dedupe_window: Annotated[
        int, typer.Option(min=1, help="Dedupe window in seconds (without --config).")
    ] = 300,
    http_passthrough: Annotated[
        list[PassthroughChannel] | None,
        typer.Option(
            help="Send this channel's requests for real instead of capturing them in "
            ".facewatch/sink/ (repeatable: slack, whatsapp, webhook). A URL on 127.0.0.1 or "
            "localhost, such as --webhook-url's, is always sent for real.",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the endpoint.")] = 120.0,
    root: RootOpt = None,
) -> None:
    """Start the local endpoint in the background (state in .facewatch/)."""
    root = root or default_root()
    cameras = _cameras(camera, config, webhook_url)
    arguments = ["--port", str(port), "--dedupe-window", str(dedupe_window)]
    if config is not None:
        arguments += ["--config", str(config.resolve())]
    if webhook_url:
        arguments += ["--webhook-url", webhook_url]
    for item in cameras:
        arguments += ["--camera", item]
    for channel in sorted({c.value for c in http_passthrough or []}):
        arguments += ["--http-passthrough", channel]
    state = running_local(root)
    if state and is_local_server(state["pid"]):
        running_with = read_launch(root)
        if running_with is not None and running_with != arguments:
            raise CliError(
                f"the local mode already runs at {state['endpointUrl']} (pid {state['pid']}) "
                f"with other options: {' '.join(running_with)}",
                "run `facewatch local down`, then this `local up` again (state is kept)",
            )
        console().print(f"already running at {state['endpointUrl']} (pid {state['pid']})")
        return
    root.mkdir(parents=True, exist_ok=True)
    clear_state(root)
    write_launch(root, arguments)
    log_file = StatePaths(root).log_file
    command = [sys.executable, "-m", "facewatch.local.server", "--root", str(root), *arguments]
    with log_file.open("ab") as log:
        child = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # keeps running after this command returns
        )
    deadline = time.monotonic() + timeout
    with console().status(f"starting the local endpoint on 127.0.0.1:{port} ..."):
        while True:
            state = read_state(root)
            if state and state.get("pid") == child.pid and state.get("ready"):
                break
            if child.poll() is not None:
                raise CliError(
                    f"the local mode exited during start-up: {_tail(log_file)}",
                    f"see {log_file}; if the port is taken, pass --port",
                )
            if time.monotonic() > deadline:
                os.kill(child.pid, signal.SIGTERM)
                raise CliError(f"not ready after {timeout:.0f}s", f"see {log_file}")
            time.sleep(0.2)
    from facewatch.workflows.records import processor_name

    console().print(f"[green]local mode running[/] at {state['endpointUrl']} (pid {child.pid})")
    console().print(f"  faces bucket   {state['facesBucket']}")
    console().print(f"  data stream    {state['dataStream']}")
    for name in state.get("cameras", {}):
        console().print(
            f"  camera {name}: aws --endpoint-url {state['endpointUrl']} rekognition "
            f"start-stream-processor --name {processor_name(name)}"
        )
    console().print(f"  state folder   {root}   (stop with: facewatch local down)")


@local_app.command("down")
@cli_errors
def down(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for it to stop.")] = 30.0,
    root: RootOpt = None,
) -> None:
    """Stop the local endpoint (enrolled faces are kept in the state folder)."""
    root = root or default_root()
    state = read_state(root)
    if not state or not isinstance(state.get("pid"), int) or not pid_alive(state["pid"]):
        clear_state(root)
        console().print("the local mode is not running")
        return
    pid = state["pid"]
    try:
        ours = is_local_server(pid)
    except UnverifiableProcess as error:
        raise CliError(
            str(error), f"stop it yourself if it is, then delete {StatePaths(root).state_file}"
        ) from error
    if not ours:
        clear_state(root)
        raise CliError(
            f"process {pid} recorded in {StatePaths(root).state_file} is not the facewatch local "
            "server (its pid was reused after a crash): not stopping it",
            "the stale record was removed; `facewatch local up` starts a new local mode",
        )
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    with console().status("stopping ..."):
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
    if pid_alive(pid):
        raise CliError(f"process {pid} did not stop in {timeout:.0f}s", f"kill {pid}")
    clear_state(root)
    console().print("local mode stopped (faces kept in the state folder)")


@local_app.command("status")
@cli_errors
def status(root: RootOpt = None) -> None:
    """Show whether the local endpoint runs, where, and its stream processors."""
    root = root or default_root()
    state = running_local(root)
    if not state:
        console().print("the local mode is not running (start it: facewatch local up)")
        raise typer.Exit(1)
    from facewatch.cli_common import resolve_target

    target = resolve_target(root=root)
    console().print(f"running at {state['endpointUrl']} (pid {state['pid']}), state in {root}")
    rekognition = target.client("rekognition")
    for processor in rekognition.list_stream_processors()["StreamProcessors"]:
        line = f"  stream processor {processor['Name']}: {processor['Status']}"
        if processor["Status"] == "FAILED":  # why, as describe-stream-processor says
            described = rekognition.describe_stream_processor(Name=processor["Name"])
            line += f" ({described.get('StatusMessage') or 'no reason given'})"
        console().print(line, highlight=False)
    sfn = target.client("stepfunctions")
    for label, key in (("match", "matchStateMachineArn"), ("indexing", "indexingStateMachineArn")):
        console().print(f"  {label} executions: {execution_summary(sfn, state[key])}")
