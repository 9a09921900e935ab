"""The commands and links the stack outputs: pure functions of names, tested directly.

Every value is quoted with `shlex.quote`, so `$(pulumi stack output startProcessorCommand)`
runs as it is. Credentials are never part of a command: the AWS CLI, kvssink and the
camera agent read them from the environment (AWS_PROFILE or AWS_ACCESS_KEY_ID/...).
"""

from __future__ import annotations

from shlex import quote

from infra.config_checks import PROCESSOR_PREFIX

# Shell variable holding an RTSP URL (which often embeds a password): set in the shell,
# never stored in stack config or outputs.
RTSP_URL_VARIABLE = "RTSP_URL"


def processor_name(camera: str) -> str:
    return f"{PROCESSOR_PREFIX}{camera}"


def stream_processor_commands(camera: str, region: str) -> dict[str, str]:
    """start/stop/describe of a face-search stream processor.

    No --start-selector/--stop-selector: the API reference says they are for label
    detection processors and "should not be used to start a face search stream processor";
    a face search processor runs until stopped.
    """
    name, reg = quote(processor_name(camera)), quote(region)
    return {
        "start": f"aws rekognition start-stream-processor --name {name} --region {reg}",
        "stop": f"aws rekognition stop-stream-processor --name {name} --region {reg}",
        "describe": f"aws rekognition describe-stream-processor --name {name} --region {reg}",
    }


def camera_agent_command(
    camera: str,
    *,
    source: str | None,
    collection_id: str,
    data_stream: str,
    snapshot_bucket: str,
    region: str,
) -> str:
    """The edge-mode camera agent: samples frames, searches faces, writes the records."""
    src = quote(source) if source else f'"${RTSP_URL_VARIABLE}"'
    return (
        f"facewatch camera run --camera {quote(camera)} --source {src} "
        f"--collection {quote(collection_id)} --stream {quote(data_stream)} "
        f"--snapshot-bucket {quote(snapshot_bucket)} --region {quote(region)}"
    )


def edge_commands(
    camera: str,
    *,
    source: str | None,
    collection_id: str,
    data_stream: str,
    snapshot_bucket: str,
    region: str,
) -> dict[str, str]:
    """Edge-mode counterparts: run the agent (in the foreground), stop it, check its output."""
    run = camera_agent_command(
        camera,
        source=source,
        collection_id=collection_id,
        data_stream=data_stream,
        snapshot_bucket=snapshot_bucket,
        region=region,
    )
    return {
        "start": run,
        # SIGINT is what Ctrl-C sends: the agent finishes its frame and flushes its records.
        "stop": f"pkill -INT -f {quote(f'facewatch camera run --camera {quote(camera)} ')}",
        # The agent has no server-side state; its records land in the data stream.
        "describe": (
            f"aws kinesis describe-stream-summary --stream-name {quote(data_stream)} "
            f"--region {quote(region)}"
        ),
    }


def webcam_producer_command(camera: str, region: str, device: str = "/dev/video0") -> str:
    """GStreamer: a V4L2 webcam, H.264 with 1.5 s fragments, into the camera's video stream."""
    return (
        f"gst-launch-1.0 v4l2src device={quote(device)} ! videoconvert "
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


def enrol_command(faces_bucket: str, registry_table: str, region: str) -> str:
    """Upload a photo tagged with the person's name and wait until it is indexed."""
    return (
        f"facewatch faces add PHOTO.jpg --name 'Full Name' --bucket {quote(faces_bucket)} "
        f"--registry-table {quote(registry_table)} --region {quote(region)}"
    )


def state_machine_console_url(state_machine_arn: str, region: str) -> str:
    """The Step Functions console page listing the state machine's executions."""
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/statemachines/view/{state_machine_arn}"
    )
