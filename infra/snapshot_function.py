"""The snapshot Lambda (handlers/snapshot.py): a `python_function` with the permissions
to cut, store and link face crops (and, in stream-processor mode, read camera frames)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from facewatch.workflows.records import SNAPSHOT_PREFIX
from infra import iam
from infra.lambda_function import PythonFunctionArgs, python_function

HANDLER = "handlers.snapshot.lambda_handler"
XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]


@dataclass(frozen=True)
class SnapshotFunctionArgs:
    function_name: str
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    audit_bucket: pulumi.Input[str]
    audit_bucket_arn: pulumi.Input[str]
    log_retention_days: int
    package: Path
    # Stream-processor mode: the video streams GetImages reads frames from.
    video_stream_arns: list[pulumi.Output[str]] = field(default_factory=list)
    environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)


def snapshot_statements(
    *, region: str, key_arn: str, audit_bucket_arn: str, video_stream_arns: list[str]
) -> list[iam.Statement]:
    """What the snapshot function needs beyond writing its own logs."""
    statements: list[iam.Statement] = [
        {
            # Edge mode: read the agent's crops to link them; stream-processor mode: store
            # the crop cut from the KVS frame. Only under the snapshots prefix.
            "Sid": "ReadWriteSnapshots",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [f"{audit_bucket_arn}/{SNAPSHOT_PREFIX}*"],
        },
        iam.kms_via(
            "UseStackKey",
            key_arn,
            ["kms:Decrypt", "kms:GenerateDataKey"],
            ["s3", "kinesisvideo"] if video_stream_arns else ["s3"],
            region,
        ),
        {
            # X-Ray accepts no resource-level permission: "*" is the only valid Resource.
            "Sid": "WriteTraces",
            "Effect": "Allow",
            "Action": XRAY_ACTIONS,
            "Resource": ["*"],
        },
    ]
    if video_stream_arns:
        statements.append(
            {
                "Sid": "ReadCameraFrames",
                "Effect": "Allow",
                "Action": ["kinesisvideo:GetDataEndpoint", "kinesisvideo:GetImages"],
                "Resource": sorted(video_stream_arns),
            }
        )
    return statements


def snapshot_function(
    name: str, args: SnapshotFunctionArgs, parent: pulumi.Resource
) -> aws.lambda_.Function:
    statements = pulumi.Output.all(
        args.key_arn, args.audit_bucket_arn, *args.video_stream_arns
    ).apply(
        lambda v: snapshot_statements(
            region=args.region, key_arn=v[0], audit_bucket_arn=v[1], video_stream_arns=v[2:]
        )
    )
    return python_function(
        name,
        PythonFunctionArgs(
            function_name=args.function_name,
            handler=HANDLER,
            description="facewatch snapshot Lambda: frames and crops for notifications",
            region=args.region,
            account_id=args.account_id,
            partition=args.partition,
            key_arn=args.key_arn,
            log_retention_days=args.log_retention_days,
            package=args.package,
            statements=statements,
            environment=args.environment,
            active_tracing=True,
        ),
        parent,
    )
