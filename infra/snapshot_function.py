"""The snapshot Lambda (handlers/snapshot.py): its package, role, log group and function.

The package is built by `make lambda-package` (handlers/ + workflows/ + Pillow for the
Lambda platform) into build/lambda/snapshot; the program refuses to deploy without it
rather than upload a function that fails on its first import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra import iam
from workflows.records import SNAPSHOT_PREFIX

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = PROJECT_ROOT / "build" / "lambda" / "snapshot"
# Tests (and CI without Pillow wheels) point the program at another directory.
PACKAGE_DIR_VARIABLE = "FACEWATCH_LAMBDA_PACKAGE_DIR"
HANDLER = "handlers.snapshot.lambda_handler"
XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]


def package_dir() -> Path:
    """Where the built package is; a clear error naming the make target when it is not."""
    path = Path(os.environ.get(PACKAGE_DIR_VARIABLE) or PACKAGE_DIR)
    if not (path / "handlers" / "snapshot.py").is_file():
        raise pulumi.RunError(
            f"the snapshot Lambda package is missing ({path}/handlers/snapshot.py): "
            "run `make lambda-package` in the project directory, then `pulumi up` again"
        )
    return path


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
    *, function_name: str, region: str, account: str, partition: str, key_arn: str,
    audit_bucket_arn: str, video_stream_arns: list[str],
) -> list[iam.Statement]:  # fmt: skip
    log_group = f"arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/{function_name}"
    statements: list[iam.Statement] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{log_group}:*"],
        },
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
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/aws/lambda/{args.function_name}",
        retention_in_days=args.log_retention_days,
        kms_key_id=args.key_arn,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    statements = pulumi.Output.all(
        args.account_id, args.partition, args.key_arn, args.audit_bucket_arn,
        *args.video_stream_arns,
    ).apply(
        lambda v: snapshot_statements(
            function_name=args.function_name, region=args.region, account=v[0],
            partition=v[1], key_arn=v[2], audit_bucket_arn=v[3], video_stream_arns=v[4:],
        )
    )  # fmt: skip
    role, policy = iam.role(
        f"{name}-role",
        trust=pulumi.Output.from_input(args.account_id).apply(
            lambda account: iam.service_trust("lambda.amazonaws.com", account_id=account)
        ),
        statements=statements,
        parent=parent,
        description="facewatch snapshot Lambda: frames and crops for notifications",
    )
    return aws.lambda_.Function(
        name,
        name=args.function_name,
        runtime="python3.12",
        handler=HANDLER,
        code=pulumi.FileArchive(str(args.package)),
        role=role.arn,
        timeout=30,
        memory_size=512,
        environment={"variables": args.environment},
        tracing_config={"mode": "Active"},
        logging_config={"log_format": "JSON", "log_group": log_group.name},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy, log_group]),
    )
