"""`facewatch camera run`: the camera agent on the command line (mounted by facewatch/cli.py).

Against AWS, `--stack current|NAME` reads the collection, data stream, audit bucket and
region from `pulumi stack output --json` (facewatch.cli_common; explicit flags still win),
or pass them as flags. Against the local mode (`--endpoint-url`, or a running `facewatch
local up` when no resource flag is given: the precedence of `resolve_target`), the names,
endpoint and the local mode's dummy credentials come from `resolve_target`; Rekognition,
Kinesis, S3 and STS are all served there.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from facewatch.agent import (
    AgentConfig,
    AgentError,
    KinesisSink,
    ReconnectPolicy,
    SnapshotUploader,
    run,
)
from facewatch.agent.logs import configure_logging
from facewatch.agent.search import raise_for_aws_error
from facewatch.agent.sinks import check_stream
from facewatch.agent.snapshots import check_bucket
from facewatch.agent.status import StatusReporter
from facewatch.cli_common import (
    CliError,
    RootOpt,
    StackOpt,
    Target,
    resolve_target,
    stack_outputs,
    target_from_outputs,
)
from facewatch.workflows.records import edge_stream_arn

camera_app = typer.Typer(
    name="camera",
    help="Run the camera agent (edge analysis mode).",
    no_args_is_help=True,
    add_completion=False,
)


@camera_app.callback()
def camera() -> None:
    """Run the camera agent (edge analysis mode)."""
    # A callback keeps `run` a subcommand even while it is the group's only command.


USAGE_ERROR = 2
DELIVERY_ERROR = 1


class SnapshotChoice(StrEnum):
    matches = "matches"
    all = "all"
    none = "none"


SERVICES = ("rekognition", "kinesis", "s3", "sts")


def _clients(region: str | None, endpoint_url: str | None) -> dict[str, Any]:
    # `Target.client`: the local endpoint with its dummy credentials (no AWS profile asked
    # for), else the AWS defaults; no region at all is a CliError.
    if endpoint_url and not region:
        region = "us-east-1"
    target = Target(region=region, endpoint_url=endpoint_url)
    return {name: target.client(name) for name in SERVICES}


def _names(
    stack: str | None,
    *,
    collection: str | None,
    stream: str | None,
    snapshot_bucket: str | None,
    region: str | None,
    endpoint_url: str | None,
    root: Path | None = None,
) -> Target:
    """The names to use: the stack's outputs (when --stack is given) or the local mode's
    (--endpoint-url, or one running while no resource flag is given), under the flags."""
    if not stack:
        return resolve_target(
            endpoint_url=endpoint_url,
            region=region,
            root=root,
            collection_id=collection,
            data_stream=stream,
            audit_bucket=snapshot_bucket,
        )
    outputs = stack_outputs(stack, flags="--collection, --stream and --region")
    target = target_from_outputs(outputs, "stack")
    explicit = {
        "collection_id": collection,
        "data_stream": stream,
        "audit_bucket": snapshot_bucket,
        "region": region,
        "endpoint_url": endpoint_url,
    }
    return replace(target, **{name: value for name, value in explicit.items() if value})


def _required(value: str | None, what: str, flag: str) -> str:
    if not value:
        raise CliError(
            f"no {what} given",
            f"pass {flag}, or --stack current (or --stack NAME) to read it from the stack outputs",
        )
    return value


def _check_collection(rekognition: Any, collection_id: str) -> None:
    try:
        rekognition.describe_collection(CollectionId=collection_id)
    except Exception as exc:
        raise_for_aws_error(exc, collection_id=collection_id)
        raise


def _stream_arn(camera: str, sts: Any, region: str, given: str | None) -> str:
    if given:
        return given
    try:
        account = sts.get_caller_identity()["Account"]
    except Exception as exc:
        raise_for_aws_error(exc)
        raise
    return edge_stream_arn(camera, region=region, account_id=account)


@camera_app.command("run")
def run_command(
    camera: Annotated[str, typer.Option(help="Camera name (names its records and snapshots).")],
    source: Annotated[
        str, typer.Option(help="Video file, webcam index (0) or rtsp:// / http(s):// URL.")
    ],
    collection: Annotated[
        str | None, typer.Option(help="Rekognition collection id (stack output collectionId).")
    ] = None,
    stream: Annotated[
        str | None, typer.Option(help="Kinesis data stream name (stack output dataStream).")
    ] = None,
    snapshot_bucket: Annotated[
        str | None,
        typer.Option(help="Audit bucket for frame/face snapshots (stack output auditBucket)."),
    ] = None,
    stack: StackOpt = None,
    fps: Annotated[float, typer.Option(help="Frames analysed per second of video.")] = 5.0,
    search_interval: Annotated[
        float, typer.Option(help="Seconds between two searches of the same tracked face.")
    ] = 1.0,
    threshold: Annotated[float, typer.Option(help="FaceMatchThreshold (0-100).")] = 80.0,
    region: Annotated[str | None, typer.Option(help="AWS region (default: profile's).")] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(help="Local mode endpoint (default: the running `facewatch local up`)."),
    ] = None,
    root: RootOpt = None,
    max_seconds: Annotated[
        float | None,
        typer.Option(help="Stop after this many seconds of video (reconnect waits included)."),
    ] = None,
    reconnect_attempts: Annotated[
        int,
        typer.Option(
            min=0,
            help="Reopen a webcam or network camera that fails or drops this many times "
            "(exponential backoff from 1 s to 30 s), then stop with an error.",
        ),
    ] = ReconnectPolicy.max_attempts,
    stream_arn: Annotated[
        str | None,
        typer.Option(help="StreamArn for the records (default: the camera's edge ARN)."),
    ] = None,
    snapshots: Annotated[
        SnapshotChoice, typer.Option(help="Which records get S3 snapshots.")
    ] = SnapshotChoice.matches,
    upsample: Annotated[
        int, typer.Option(min=0, max=2, help="Detector upsampling: 1 finds ~40 px faces.")
    ] = 0,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Analyse a camera and send stream-processor records to the Kinesis data stream."""
    configure_logging(getattr(logging, log_level.upper(), logging.INFO))
    try:
        names = _names(
            stack,
            collection=collection,
            stream=stream,
            snapshot_bucket=snapshot_bucket,
            region=region,
            endpoint_url=endpoint_url,
            root=root,
        )
        collection = _required(names.collection_id, "face collection", "--collection")
        stream = _required(names.data_stream, "Kinesis data stream", "--stream")
        snapshot_bucket = names.audit_bucket
        clients = _clients(names.region, names.endpoint_url)
        region_name = clients["kinesis"].meta.region_name
        _check_collection(clients["rekognition"], collection)
        check_stream(clients["kinesis"], stream)
        uploader = None
        if snapshot_bucket and snapshots is not SnapshotChoice.none:
            check_bucket(clients["s3"], snapshot_bucket)
            uploader = SnapshotUploader(clients["s3"], snapshot_bucket, camera)
        elif snapshots is not SnapshotChoice.none:
            logging.getLogger("facewatch.agent").warning(
                "event=snapshots.disabled reason=no --snapshot-bucket"
            )
        config = AgentConfig(
            camera=camera,
            source=source,
            collection_id=collection,
            stream_arn=_stream_arn(camera, clients["sts"], region_name, stream_arn),
            fps=fps,
            search_interval=search_interval,
            threshold=threshold,
            max_seconds=max_seconds,
            reconnect=ReconnectPolicy(max_attempts=reconnect_attempts),
            upsample=upsample,
            snapshot_policy=snapshots.value,
        )
        sink = KinesisSink(clients["kinesis"], stream)
        summary = run(config, clients["rekognition"], sink, uploader, status=StatusReporter(camera))
    except (AgentError, CliError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(USAGE_ERROR) from None
    if not summary.ok:
        typer.echo(
            f"error: {summary.counters.undelivered} records could not be delivered to {stream!r} "
            "(fix: see the sink.undelivered log lines, which carry each record, and check "
            "the stream's capacity)",
            err=True,
        )
        raise typer.Exit(DELIVERY_ERROR)
