"""The stack's Lambdas: decode (the Pipe's enrichment: its own logs, and putting only under
the offload prefix), snapshot (invoked by the match workflow) and object-key (invoked by the
indexing workflow; its own logs only), each with its own role and KMS-encrypted log group."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from infra_policies import role_policy
from stack_configs import ONE_CAMERA, THREE_EDGE_CAMERAS
from stack_harness import ACCOUNT, StackRun

from facewatch.workflows.records import OFFLOAD_PREFIX

CONFIGS = {
    "stream-processor": (ONE_CAMERA, "us-east-1"),
    "edge": (THREE_EDGE_CAMERAS, "eu-west-3"),
}
FUNCTIONS = {
    "decode": "handlers.decode.lambda_handler",
    "snapshot": "handlers.snapshot.lambda_handler",
    "object-key": "handlers.object_key.lambda_handler",
}


@pytest.fixture(scope="module", params=list(CONFIGS))
def run(request: pytest.FixtureRequest, stack: Callable[..., StackRun]) -> StackRun:
    values, region = CONFIGS[request.param]
    return stack(values, region=region)


def test_the_stack_deploys_exactly_the_workflows_functions(
    run: StackRun, lambda_package: Path
) -> None:
    functions = {f.name: f.inputs for f in run.of_type("aws:lambda/function:Function")}

    assert {name: f["handler"] for name, f in functions.items()} == {
        f"workflow-{kind}": handler for kind, handler in FUNCTIONS.items()
    }
    assert {f["name"] for f in functions.values()} == {
        "facewatch-dev-decode",
        "facewatch-dev-snapshot",
        "facewatch-dev-object-key",
    }
    # One package (make lambda-package) serves them all.
    assert {f["code"].path for f in functions.values()} == {str(lambda_package)}


@pytest.mark.parametrize("kind", list(FUNCTIONS))
def test_each_function_has_its_own_role_and_log_group(run: StackRun, kind: str) -> None:
    function = run.named(f"workflow-{kind}").inputs
    group = run.named(f"workflow-{kind}-logs").inputs
    key_arn = run.named("storage-key").outputs["arn"]

    assert function["role"] == run.named(f"workflow-{kind}-role").outputs["arn"]
    assert function["loggingConfig"]["logGroup"] == f"/aws/lambda/facewatch-dev-{kind}"
    assert group["name"] == f"/aws/lambda/facewatch-dev-{kind}"
    assert (group["retentionInDays"], group["kmsKeyId"]) == (30, key_arn)
    trust = json.loads(run.named(f"workflow-{kind}-role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    ]


def test_object_key_role_may_only_write_its_own_logs(run: StackRun) -> None:
    group = run.named("workflow-object-key-logs").outputs["arn"]

    assert role_policy(run, "workflow-object-key-role") == [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{group}:*"],
        }
    ]
    # Active tracing would need X-Ray permissions the role does not have.
    assert run.named("workflow-object-key").inputs["tracingConfig"] == {"mode": "PassThrough"}


def test_decode_role_writes_its_logs_and_puts_only_under_the_offload_prefix(
    run: StackRun,
) -> None:
    group = run.named("workflow-decode-logs").outputs["arn"]
    bucket_arn = run.named("storage-audit").outputs["arn"]
    key_arn = run.named("storage-key").outputs["arn"]

    assert role_policy(run, "workflow-decode-role") == [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{group}:*"],
        },
        {
            "Sid": "OffloadOversizedRecords",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [f"{bucket_arn}/{OFFLOAD_PREFIX}*"],
        },
        {
            "Sid": "EncryptOffloadedRecords",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey"],
            "Resource": [key_arn],
            "Condition": {"StringEquals": {"kms:ViaService": [f"s3.{run.region}.amazonaws.com"]}},
        },
    ]
    # Active tracing would need X-Ray permissions the role does not have.
    assert run.named("workflow-decode").inputs["tracingConfig"] == {"mode": "PassThrough"}


def test_snapshot_role_writes_its_own_logs_not_the_decode_ones(run: StackRun) -> None:
    by_sid = {s["Sid"]: s for s in role_policy(run, "workflow-snapshot-role")}

    assert by_sid["WriteOwnLogs"]["Resource"] == [
        f"{run.named('workflow-snapshot-logs').outputs['arn']}:*"
    ]
    assert run.named("workflow-snapshot").inputs["tracingConfig"] == {"mode": "Active"}


def test_the_pipe_enriches_with_the_decode_function_and_may_invoke_only_it(
    run: StackRun,
) -> None:
    pipe = run.one("aws:pipes/pipe:Pipe").inputs
    decode_arn = run.named("workflow-decode").outputs["arn"]
    invoke = [
        s for s in role_policy(run, "workflow-pipe-role") if "lambda:InvokeFunction" in s["Action"]
    ]

    assert pipe["enrichment"] == decode_arn
    assert invoke == [
        {
            "Sid": "InvokeDecodeEnrichment",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [decode_arn],
        }
    ]


def test_the_match_workflow_invokes_only_the_snapshot_function(run: StackRun) -> None:
    definition = json.dumps(run.named("workflow-match").inputs["definition"])
    decode_arn = run.named("workflow-decode").outputs["arn"]
    snapshot_arn = run.named("workflow-snapshot").outputs["arn"]
    invoke = [
        s for s in role_policy(run, "workflow-match-role") if "lambda:InvokeFunction" in s["Action"]
    ]

    # The decode function runs before the execution (the Pipe's enrichment): the
    # definition does not name it, and the workflow's role may not invoke it.
    assert decode_arn not in definition
    invoked = {r for s in invoke for r in s["Resource"]}
    assert {r.removesuffix(":*") for r in invoked} == {snapshot_arn}


def test_snapshot_link_lifetime_comes_from_the_config(stack: Callable[..., StackRun]) -> None:
    run = stack({**ONE_CAMERA, "snapshotLinkSeconds": 900})

    variables = run.named("workflow-snapshot").inputs["environment"]["variables"]
    assert variables["SNAPSHOT_URL_EXPIRY_SECONDS"] == "900"


def test_indexing_workflow_invokes_only_the_object_key_function(run: StackRun) -> None:
    definition = json.loads(run.named("workflow-indexing").inputs["definition"])
    arn = run.named("workflow-object-key").outputs["arn"]
    invoke = [
        s
        for s in role_policy(run, "workflow-indexing-role")
        if "lambda:InvokeFunction" in s["Action"]
    ]

    assert definition["States"]["Decode key"]["Parameters"]["FunctionName"] == arn
    assert {r.removesuffix(":*") for s in invoke for r in s["Resource"]} == {arn}


@pytest.mark.parametrize("alerts", [False, True])
def test_the_decode_function_is_configured_by_the_stack(
    stack: Callable[..., StackRun], alerts: bool
) -> None:
    run = stack({**ONE_CAMERA, "unknownFaceAlerts": alerts})

    variables = run.named("workflow-decode").inputs["environment"]["variables"]
    assert variables == {
        "AUDIT_BUCKET": run.named("storage-audit").outputs["bucket"],
        "OFFLOAD_PREFIX": OFFLOAD_PREFIX,
        "UNKNOWN_FACE_ALERTS": "true" if alerts else "false",
    }
