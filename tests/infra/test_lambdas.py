"""The workflows' Lambdas: decode and object-key (no AWS permission beyond their own logs)
and snapshot, each with its own role and KMS-encrypted log group, each invoked by a workflow."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from infra_policies import role_policy
from stack_configs import ONE_CAMERA, THREE_EDGE_CAMERAS
from stack_harness import ACCOUNT, StackRun

CONFIGS = {
    "stream-processor": (ONE_CAMERA, "us-east-1"),
    "edge": (THREE_EDGE_CAMERAS, "eu-west-3"),
}
FUNCTIONS = {
    "decode": "handlers.decode.lambda_handler",
    "snapshot": "handlers.snapshot.lambda_handler",
    "object-key": "handlers.object_key.lambda_handler",
}
MATCH_FUNCTIONS = ("decode", "snapshot")
# Pure computation: their roles may only write their own logs.
LOGS_ONLY = ("decode", "object-key")


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


@pytest.mark.parametrize("kind", LOGS_ONLY)
def test_pure_function_role_may_only_write_its_own_logs(run: StackRun, kind: str) -> None:
    group = run.named(f"workflow-{kind}-logs").outputs["arn"]

    assert role_policy(run, f"workflow-{kind}-role") == [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{group}:*"],
        }
    ]
    # Active tracing would need X-Ray permissions the role does not have.
    assert run.named(f"workflow-{kind}").inputs["tracingConfig"] == {"mode": "PassThrough"}


def test_snapshot_role_writes_its_own_logs_not_the_decode_ones(run: StackRun) -> None:
    by_sid = {s["Sid"]: s for s in role_policy(run, "workflow-snapshot-role")}

    assert by_sid["WriteOwnLogs"]["Resource"] == [
        f"{run.named('workflow-snapshot-logs').outputs['arn']}:*"
    ]
    assert run.named("workflow-snapshot").inputs["tracingConfig"] == {"mode": "Active"}


def test_match_workflow_invokes_each_function_and_its_role_names_both(run: StackRun) -> None:
    definition = json.loads(run.named("workflow-match").inputs["definition"])
    arns = {kind: run.named(f"workflow-{kind}").outputs["arn"] for kind in MATCH_FUNCTIONS}
    invoke = [
        s for s in role_policy(run, "workflow-match-role") if "lambda:InvokeFunction" in s["Action"]
    ]

    assert definition["States"]["DecodeRecords"]["Parameters"]["FunctionName"] == arns["decode"]
    invoked = {r for s in invoke for r in s["Resource"]}
    # Each function, and (for qualified invocations) its versions/aliases: nothing else.
    assert {r.removesuffix(":*") for r in invoked} == set(arns.values())


def test_snapshot_link_lifetime_comes_from_the_config(stack: Callable[..., StackRun]) -> None:
    run = stack({**ONE_CAMERA, "snapshotLinkSeconds": 900})

    variables = run.named("workflow-snapshot").inputs["environment"]["variables"]
    assert variables["SNAPSHOT_URL_EXPIRY_SECONDS"] == "900"
    # Decoding reads no setting: nothing to configure there.
    assert run.named("workflow-decode").inputs["environment"] == {"variables": {}}


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
