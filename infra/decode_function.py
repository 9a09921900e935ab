"""The decode Lambda (handlers/decode.py): the EventBridge Pipe's enrichment, a
`python_function` that may write only the records it offloads (under `OFFLOAD_PREFIX` in the
audit bucket) besides its own logs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from facewatch.workflows.records import OFFLOAD_PREFIX
from infra import iam
from infra.lambda_function import PythonFunctionArgs, python_function

HANDLER = "handlers.decode.lambda_handler"


@dataclass(frozen=True)
class DecodeFunctionArgs:
    function_name: str
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    audit_bucket: pulumi.Input[str]
    audit_bucket_arn: pulumi.Input[str]
    unknown_face_alerts: bool
    log_retention_days: int
    package: Path


def decode_statements(*, region: str, key_arn: str, audit_bucket_arn: str) -> list[iam.Statement]:
    """What the decode function needs beyond writing its own logs: putting the records an
    execution input cannot hold, encrypted by the bucket's default SSE-KMS key (a single
    PutObject needs GenerateDataKey only; the function never reads them back)."""
    return [
        {
            "Sid": "OffloadOversizedRecords",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [f"{audit_bucket_arn}/{OFFLOAD_PREFIX}*"],
        },
        iam.kms_via("EncryptOffloadedRecords", key_arn, ["kms:GenerateDataKey"], ["s3"], region),
    ]


def decode_function(
    name: str, args: DecodeFunctionArgs, parent: pulumi.Resource
) -> aws.lambda_.Function:
    statements = pulumi.Output.all(args.key_arn, args.audit_bucket_arn).apply(
        lambda v: decode_statements(region=args.region, key_arn=v[0], audit_bucket_arn=v[1])
    )
    return python_function(
        name,
        PythonFunctionArgs(
            function_name=args.function_name,
            handler=HANDLER,
            description="facewatch decode Lambda: the Pipe's enrichment (decode, check, coalesce)",
            region=args.region,
            account_id=args.account_id,
            partition=args.partition,
            key_arn=args.key_arn,
            log_retention_days=args.log_retention_days,
            package=args.package,
            statements=statements,
            # The settings handlers/decode.py reads (Settings.from_env).
            environment={
                "AUDIT_BUCKET": args.audit_bucket,
                "OFFLOAD_PREFIX": OFFLOAD_PREFIX,
                "UNKNOWN_FACE_ALERTS": "true" if args.unknown_face_alerts else "false",
            },
            timeout=30,
            # Room (and CPU) to parse a batch of up to 6 MB, what Pipes send an enrichment.
            memory_size=512,
        ),
        parent,
    )
