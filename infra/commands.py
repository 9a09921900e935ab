"""The commands and links the stack outputs: pure functions of names, tested directly.

`$(pulumi stack output startProcessorCommand)` must run as it is. A command substitution's
output is split into words and glob-expanded, but its quotes are not removed and its `$VAR`s
are not expanded, so the start/stop/describe commands hold no quote, no variable and no word
that needs quoting: every word is one `shlex.quote` leaves as it is (letters, digits and
`@%+=:,./-_`), so the command also runs when pasted (one exception: the backslash escaping a
dot of a camera name in an edge stop pattern, see `agent_stop_pattern`). Credentials are never
part of a command: the AWS CLI and the camera agent read them from the environment (AWS_PROFILE
or AWS_ACCESS_KEY_ID/...); kvssink reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/
AWS_SESSION_TOKEN (not AWS_PROFILE), hence the README's `aws configure export-credentials`.

The producer commands (`webcamProducerCommand`, `rtspProducerCommand`) and `enrolCommand` are
not held to this: the RTSP pipeline reads `"$RTSP_URL"` (the URL usually embeds a password,
which must stay out of the stack) and the enrol command has placeholders to replace, so they
are run with `eval "$(pulumi stack output ...)"` or edited first, as the README shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from shlex import quote

from facewatch.workflows.records import processor_name
from facewatch.workflows.settings import AnalysisMode
from infra.config import Camera

# Shell variable holding an RTSP URL (which often embeds a password): set in the shell,
# never stored in stack config or outputs.
RTSP_URL_VARIABLE = "RTSP_URL"


def is_plain_word(value: str) -> bool:
    """True when the shell reads `value` as one literal word, typed or substituted."""
    return bool(value) and quote(value) == value


def plain(value: str) -> str:
    """`value` as a command word; names that could need quoting are refused, not quoted."""
    if not is_plain_word(value):
        raise ValueError(
            f"{value!r} cannot be a word of a command run as $(pulumi stack output ...): "
            "use letters, digits and @%+=:,./-_ only"
        )
    return value


def stream_processor_commands(camera: str, region: str) -> dict[str, str]:
    """start/stop/describe of a face-search stream processor.

    No --start-selector/--stop-selector: the API reference says they are for label
    detection processors and "should not be used to start a face search stream processor";
    a face search processor runs until stopped.
    """
    name, reg = plain(processor_name(camera)), plain(region)
    return {
        "start": f"aws rekognition start-stream-processor --name {name} --region {reg}",
        "stop": f"aws rekognition stop-stream-processor --name {name} --region {reg}",
        "describe": f"aws rekognition describe-stream-processor --name {name} --region {reg}",
    }


@dataclass(frozen=True)
class AgentStack:
    """What every edge camera's agent command names from the stack: the collection, the data
    stream, the bucket for snapshots, the region and `faceMatchThreshold`."""

    collection_id: str
    data_stream: str
    snapshot_bucket: str
    region: str
    threshold: float


def camera_agent_command(camera: str, *, source: str | None, stack: AgentStack) -> str:
    """The edge-mode camera agent: samples frames, searches faces, writes the records.

    `threshold` is the stack's `faceMatchThreshold`: in edge mode the agent's
    SearchFacesByImage applies it (in stream-processor mode the processor does).

    The camera's configured `source` is part of the command when it is a plain word (a
    device index, a file path, an RTSP URL without `?`, `&`, spaces, quotes...). Otherwise,
    or without a source, `--source` is left out (the agent's `--source` has no environment
    variable to fall back on) and is given after the command:
    `$(pulumi stack output startProcessorCommand) --source "$RTSP_URL"`; run bare, the
    command stops with Typer's "Missing option '--source'". `--camera NAME --collection`
    comes first and in this order: `agent_stop_pattern` matches exactly that.
    """
    command = (
        f"facewatch camera run --camera {plain(camera)} --collection {plain(stack.collection_id)} "
        f"--stream {plain(stack.data_stream)} --snapshot-bucket {plain(stack.snapshot_bucket)} "
        f"--region {plain(stack.region)} --threshold {stack.threshold:g}"
    )
    if source is not None and is_plain_word(source):
        command += f" --source {source}"
    return command


def agent_stop_pattern(camera: str) -> str:
    """The `pkill -f` regex matching this camera's agent only, as one quote-free word.

    `.` stands for each space (a space would split the word); the name's own dots are
    escaped (`\\.`: a substituted backslash reaches pkill as it is), and `--collection`
    right after the name stops camera `front` from matching `front-door`'s agent.
    """
    name = plain(camera).replace(".", "\\.")
    return f"facewatch.camera.run.--camera.{name}.--collection"


def edge_commands(camera: str, *, source: str | None, stack: AgentStack) -> dict[str, str]:
    """Edge-mode counterparts: run the agent (in the foreground), stop it, check its output."""
    run = camera_agent_command(camera, source=source, stack=stack)
    return {
        "start": run,
        # SIGINT is what Ctrl-C sends: the agent finishes its frame and flushes its records.
        "stop": f"pkill -INT -f {agent_stop_pattern(camera)}",
        # The agent has no server-side state; its records land in the data stream.
        "describe": (
            f"aws kinesis describe-stream-summary --stream-name {plain(stack.data_stream)} "
            f"--region {plain(stack.region)}"
        ),
    }


def webcam_producer_command(camera: str, region: str, device: str = "/dev/video0") -> str:
    """GStreamer: a V4L2 webcam, H.264 with 1.5 s fragments, into the camera's video stream.

    `do-timestamp=TRUE` stamps each frame with the capture time, as in the KVS developer
    guide's webcam example (examples-gstreamer-plugin): kvssink sends those timestamps.
    """
    return (
        f"gst-launch-1.0 v4l2src do-timestamp=TRUE device={quote(device)} ! videoconvert "
        "! video/x-raw,format=I420,width=640,height=480,framerate=30/1 "
        "! x264enc bframes=0 key-int-max=45 bitrate=500 tune=zerolatency "
        "! h264parse ! video/x-h264,stream-format=avc,alignment=au,profile=baseline "
        f"! kvssink stream-name={quote(camera)} aws-region={quote(region)}"
    )


def rtsp_producer_command(camera: str, region: str) -> str:
    """GStreamer: an RTSP camera's H.264 as it is (no re-encoding) into the video stream."""
    return (
        f'gst-launch-1.0 rtspsrc location="${RTSP_URL_VARIABLE}" short-header=TRUE '
        "! rtph264depay ! h264parse "
        f"! kvssink stream-name={quote(camera)} aws-region={quote(region)}"
    )


def producer_commands(camera: str, region: str) -> dict[str, str]:
    """The stream-processor mode's GStreamer commands feeding a camera's video stream."""
    return {
        "webcamProducerCommand": webcam_producer_command(camera, region),
        "rtspProducerCommand": rtsp_producer_command(camera, region),
    }


def camera_outputs(
    cameras: Sequence[Camera], mode: AnalysisMode, stack: AgentStack
) -> dict[str, dict[str, str]]:
    """Each camera's start/stop/describe commands (and producers, in stream-processor mode)."""
    outputs: dict[str, dict[str, str]] = {}
    for camera in cameras:
        if mode == "stream-processor":
            run = stream_processor_commands(camera.name, stack.region)
            producers = producer_commands(camera.name, stack.region)
        else:
            run = edge_commands(camera.name, source=camera.source, stack=stack)
            producers = {}
        outputs[camera.name] = {
            "startProcessorCommand": run["start"],
            "stopProcessorCommand": run["stop"],
            "describeProcessorCommand": run["describe"],
            **producers,
        }
    return outputs


def enrol_command(faces_bucket: str, registry_table: str, region: str) -> str:
    """Upload a photo tagged with the person's name and wait until it is indexed."""
    return (
        f"facewatch faces add PHOTO.jpg --name 'Full Name' --bucket {quote(faces_bucket)} "
        f"--registry-table {quote(registry_table)} --region {quote(region)}"
    )


# The AWS Management Console's host per partition (the partition is the ARN's second field).
CONSOLE_HOSTS = {
    "aws": "{region}.console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def state_machine_console_url(state_machine_arn: str, region: str) -> str:
    """The Step Functions console page listing the state machine's executions."""
    partition = state_machine_arn.split(":")[1]
    host = CONSOLE_HOSTS.get(partition, CONSOLE_HOSTS["aws"]).format(region=region)
    return f"https://{host}/states/home?region={region}#/statemachines/view/{state_machine_arn}"
