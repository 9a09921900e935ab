"""A Python Lambda from `handlers/`: its package, role, log group and function.

One package (built by `make lambda-package`: handlers/ + Pillow for the Lambda platform, into
build/lambda/snapshot) serves every function; each function gets its own role, trusted by
Lambda within this account, whose policy is "write to its own log group" plus the statements
the caller passes, and its own KMS-encrypted log group with a retention. The program refuses
to deploy without the package rather than upload functions that fail on their first import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import iam

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = PROJECT_ROOT / "build" / "lambda" / "snapshot"
# Tests (and CI without Pillow wheels) point the program at another directory.
PACKAGE_DIR_VARIABLE = "FACEWATCH_LAMBDA_PACKAGE_DIR"
# The handler modules the stack deploys; each must be in the package.
HANDLER_MODULES = ("snapshot", "decode", "decode_records", "object_key")
RUNTIME = "python3.12"


def package_dir() -> Path:
    """Where the built package is; a clear error naming the make target when it is not."""
    path = Path(os.environ.get(PACKAGE_DIR_VARIABLE) or PACKAGE_DIR)
    missing = [m for m in HANDLER_MODULES if not (path / "handlers" / f"{m}.py").is_file()]
    if missing:
        files = ", ".join(f"{path}/handlers/{m}.py" for m in missing)
        raise pulumi.RunError(
            f"the Lambda package is missing or stale ({files} not found): "
            "run `make lambda-package` in the project directory, then `pulumi up` again"
        )
    return path


@dataclass(frozen=True)
class PythonFunctionArgs:
    function_name: str
    handler: str  # "handlers.<module>.lambda_handler"
    description: str
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    log_retention_days: int
    package: Path
    # Statements beyond writing its own logs.
    statements: pulumi.Output[list[iam.Statement]] | None = None
    environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    # Active tracing needs X-Ray permissions in `statements` (X-Ray accepts only Resource "*").
    active_tracing: bool = False
    timeout: int = 30
    memory_size: int = 512


def python_function(
    name: str, args: PythonFunctionArgs, parent: pulumi.Resource
) -> aws.lambda_.Function:
    log_group_name = f"/aws/lambda/{args.function_name}"
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=log_group_name,
        retention_in_days=args.log_retention_days,
        kms_key_id=args.key_arn,
        opts=pulumi.ResourceOptions(parent=parent),
    )

    def statements(values: list[Any]) -> list[iam.Statement]:
        account_id, partition, extra = values
        # The ARN is derived from the fixed name (not log_group.arn) so the policy does not
        # wait for the group; both name the same group. Writing its own log streams is the
        # only permission every function has.
        group_arn = f"arn:{partition}:logs:{args.region}:{account_id}:log-group:{log_group_name}"
        return [iam.write_logs("WriteOwnLogs", group_arn), *(extra or [])]

    role, policy = iam.role(
        f"{name}-role",
        trust=pulumi.Output.from_input(args.account_id).apply(
            lambda account: iam.service_trust("lambda.amazonaws.com", account_id=account)
        ),
        statements=pulumi.Output.all(args.account_id, args.partition, args.statements).apply(
            statements
        ),
        parent=parent,
        description=args.description,
    )
    return aws.lambda_.Function(
        name,
        name=args.function_name,
        description=args.description,
        runtime=RUNTIME,
        handler=args.handler,
        code=pulumi.FileArchive(str(args.package)),
        role=role.arn,
        timeout=args.timeout,
        memory_size=args.memory_size,
        environment={"variables": args.environment},
        tracing_config={"mode": "Active" if args.active_tracing else "PassThrough"},
        logging_config={"log_format": "JSON", "log_group": log_group.name},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy, log_group]),
    )
