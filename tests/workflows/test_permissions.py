"""IAM statements derived from the workflow definitions (workflows.permissions)."""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from typing import Any

import pytest
from asl_checks import (
    ENV,
    STATE_MACHINE_ARN,
    indexing_settings,
    match_settings,
    match_settings_combinations,
)
from parliament import analyze_policy_string

from facewatch.workflows import match
from facewatch.workflows.indexing import build_indexing_definition
from facewatch.workflows.permissions import (
    DynamicResourceError,
    UnsupportedTaskError,
    policy_statements,
)

ARN = "arn:aws:{}:us-east-1:123456789012:{}"
FACES = "arn:aws:s3:::facewatch-faces-bucket"
AUDIT = "arn:aws:s3:::facewatch-audit-bucket"

# What each Task resource must be allowed to do, written out independently of the code.
EXPECTED_ACTION = {
    "arn:aws:states:::dynamodb:getItem": "dynamodb:GetItem",
    "arn:aws:states:::dynamodb:putItem": "dynamodb:PutItem",
    "arn:aws:states:::dynamodb:deleteItem": "dynamodb:DeleteItem",
    "arn:aws:states:::dynamodb:updateItem": "dynamodb:UpdateItem",
    "arn:aws:states:::sqs:sendMessage": "sqs:SendMessage",
    "arn:aws:states:::sns:publish": "sns:Publish",
    "arn:aws:states:::lambda:invoke": "lambda:InvokeFunction",
    "arn:aws:states:::http:invoke": "states:InvokeHTTPEndpoint",
    "arn:aws:states:::aws-sdk:rekognition:indexFaces": "rekognition:IndexFaces",
    "arn:aws:states:::aws-sdk:rekognition:deleteFaces": "rekognition:DeleteFaces",
    "arn:aws:states:::aws-sdk:s3:getObjectTagging": "s3:GetObjectTagging",
    "arn:aws:states:::aws-sdk:s3:putObjectTagging": "s3:PutObjectTagging",
    "arn:aws:states:::aws-sdk:s3:putObject": "s3:PutObject",
    "arn:aws:states:::aws-sdk:s3:getObject": "s3:GetObject",
    "arn:aws:states:::aws-sdk:sesv2:sendEmail": "ses:SendEmail",
}
# Permissions a call needs besides its own action.
COMPANION_ACTIONS = {
    "rekognition:IndexFaces": {"s3:GetObject"},  # Rekognition reads the S3 image as the caller
    "states:InvokeHTTPEndpoint": {
        "events:RetrieveConnectionCredentials",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    },
}


def _tasks(states: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for state in states.values():
        if state["Type"] == "Task":
            found.append(state)
        for processor in (state.get("ItemProcessor"), state.get("Iterator")):
            if processor:
                found += _tasks(processor["States"])
        for branch in state.get("Branches", []):
            found += _tasks(branch["States"])
    return found


def _allowed(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    return any(
        action in s["Action"] and any(fnmatch.fnmatchcase(resource, r) for r in s["Resource"])
        for s in statements
    )


def _definitions() -> list[tuple[str, dict[str, Any]]]:
    built = [("indexing", build_indexing_definition(indexing_settings()))]
    built += [
        (f"match-{label}", match.build_match_definition(s))
        for label, s in match_settings_combinations()
    ]
    return built


DEFINITIONS = _definitions()


def test_indexing_statements_are_exactly_what_the_workflow_needs() -> None:
    statements = policy_statements(build_indexing_definition(indexing_settings()), ENV)
    granted = {(a, r) for s in statements for a in s["Action"] for r in s["Resource"]}
    registry = ARN.format("dynamodb", "table/facewatch-registry")
    collection = ARN.format("rekognition", "collection/facewatch-faces")
    assert granted == {
        ("dynamodb:GetItem", registry),
        ("dynamodb:PutItem", registry),
        ("dynamodb:DeleteItem", registry),
        ("rekognition:IndexFaces", collection),
        ("rekognition:DeleteFaces", collection),
        ("s3:GetObject", f"{FACES}/*"),
        ("s3:GetObjectTagging", f"{FACES}/*"),
        ("s3:PutObjectTagging", f"{FACES}/*"),
        ("s3:PutObject", f"{AUDIT}/audit/indexing/*"),
        ("sqs:SendMessage", ARN.format("sqs", "facewatch-dlq")),
    }
    assert all("Condition" not in s for s in statements)


@pytest.mark.parametrize(("label", "definition"), DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
def test_no_wildcard_action_and_scoped_resources(label: str, definition: dict[str, Any]) -> None:
    statements = policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            assert "*" not in action and re.fullmatch(r"[a-z0-9-]+:[A-Za-z]+", action)
        for resource in statement["Resource"]:
            assert resource.startswith("arn:aws:"), resource
            assert not resource.endswith(":*") or resource.startswith(
                "arn:aws:lambda:us-east-1:123456789012:function:"
            ), resource
            service = resource.split(":")[2]
            if service not in ("s3", "sns", "secretsmanager"):
                assert ":us-east-1:123456789012:" in resource, resource
            if service == "s3":
                assert resource.startswith((f"{FACES}/", f"{AUDIT}/")), resource


@pytest.mark.parametrize(("label", "definition"), DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
def test_every_task_is_covered_and_nothing_else(label: str, definition: dict[str, Any]) -> None:
    statements = policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)
    needed: set[str] = set()
    for task in _tasks(definition["States"]):
        resource = task["Resource"].removesuffix(".waitForTaskToken")
        assert resource in EXPECTED_ACTION, f"test table lacks {resource}"
        action = EXPECTED_ACTION[resource]
        needed |= {action} | COMPANION_ACTIONS.get(action, set())
        assert any(action in s["Action"] for s in statements), action
    granted = {a for s in statements for a in s["Action"]}
    assert granted == needed


@pytest.mark.parametrize(("label", "definition"), DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
def test_resources_named_in_tasks_are_the_ones_allowed(
    label: str, definition: dict[str, Any]
) -> None:
    statements = policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)
    for task in _tasks(definition["States"]):
        params = task.get("Parameters", {})
        action = EXPECTED_ACTION[task["Resource"].removesuffix(".waitForTaskToken")]
        if "TableName" in params:
            assert _allowed(
                statements, action, ARN.format("dynamodb", f"table/{params['TableName']}")
            )
        if "Bucket" in params:
            key = params.get("Key") or _example_key(params.get("Key.$", ""))
            assert _allowed(statements, action, f"arn:aws:s3:::{params['Bucket']}/{key}")
        if "TopicArn" in params:
            assert _allowed(statements, action, params["TopicArn"])
        if "CollectionId" in params:
            assert _allowed(
                statements,
                action,
                ARN.format("rekognition", f"collection/{params['CollectionId']}"),
            )
        if "QueueUrl" in params:
            name = params["QueueUrl"].rsplit("/", 1)[1]
            assert _allowed(statements, action, ARN.format("sqs", name))
        if "FunctionName" in params:
            assert _allowed(statements, action, params["FunctionName"])


def test_email_may_name_the_sender_and_the_recipients_identities_only() -> None:
    # given the email channel from alerts@facewatch.example to an address of another domain
    from facewatch.workflows.settings import Channels, EmailChannel

    email = EmailChannel(sender="alerts@facewatch.example", recipients=("guard@ops.example",))
    definition = match.build_match_definition(match_settings(Channels(email=email)))

    # when the role's statements are derived
    statements = policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)

    # then SendEmail is allowed on the sender's and the recipient's identities (the SES
    # sandbox checks the recipient's too), and on no other identity
    granted = {r for s in statements if "ses:SendEmail" in s["Action"] for r in s["Resource"]}
    identity = ARN.format("ses", "identity/{}")
    assert granted == {
        identity.format("alerts@facewatch.example"),
        identity.format("facewatch.example"),
        identity.format("guard@ops.example"),
        identity.format("ops.example"),
    }


def test_recipients_chosen_at_run_time_are_refused() -> None:
    # given an email task whose recipients come from the state
    definition = copy.deepcopy(match.build_match_definition(match_settings()))
    for task in _tasks(definition["States"]):
        if task["Resource"].endswith("sesv2:sendEmail"):
            task["Parameters"]["Destination"] = {"ToAddresses.$": "$.Recipients"}

    # then no statement is guessed for them
    with pytest.raises(DynamicResourceError, match="ToAddresses"):
        policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)


def test_audit_writes_are_limited_to_the_static_key_prefix() -> None:
    statements = policy_statements(build_indexing_definition(indexing_settings()), ENV)
    assert _allowed(statements, "s3:PutObject", f"{AUDIT}/audit/indexing/abc/run.json")
    assert not _allowed(statements, "s3:PutObject", f"{AUDIT}/other/abc.json")
    assert not _allowed(statements, "s3:PutObject", f"{FACES}/people/x.jpg")


def test_http_task_needs_state_machine_arn_and_is_conditioned() -> None:
    definition = _http_definition("https://hooks.example.com/x", "POST")
    with pytest.raises(UnsupportedTaskError, match="state_machine_arn"):
        policy_statements(definition, ENV)
    statements = policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)
    [invoke] = [s for s in statements if s["Action"] == ["states:InvokeHTTPEndpoint"]]
    assert invoke["Resource"] == [STATE_MACHINE_ARN]
    assert invoke["Condition"] == {
        "StringEquals": {
            "states:HTTPMethod": "POST",
            "states:HTTPEndpoint": ["https://hooks.example.com/x"],
        }
    }
    [secret] = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert secret["Resource"] == [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:events!connection/hook/*"
    ]


def test_dynamic_resource_name_is_refused() -> None:
    definition = build_indexing_definition(indexing_settings())
    broken = copy.deepcopy(definition)
    params = broken["States"]["Save key mapping"]["Parameters"]
    params["TableName.$"] = "$.table"
    del params["TableName"]
    with pytest.raises(DynamicResourceError, match="Save key mapping"):
        policy_statements(broken, ENV)


def test_unknown_task_is_refused_rather_than_guessed() -> None:
    definition = _single_task("arn:aws:states:::aws-sdk:ec2:terminateInstances", {})
    with pytest.raises(UnsupportedTaskError, match="terminateInstances"):
        policy_statements(definition, ENV)


def test_tasks_inside_map_and_parallel_are_found() -> None:
    inner = _single_task(
        "arn:aws:states:::sns:publish", {"TopicArn": ARN.format("sns", "inner"), "Message": "x"}
    )
    definition = {
        "StartAt": "Fan out",
        "States": {
            "Fan out": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Each",
                        "States": {"Each": {"Type": "Map", "ItemProcessor": inner, "End": True}},
                    }
                ],
                "End": True,
            }
        },
    }
    [statement] = policy_statements(definition, ENV)
    assert statement["Action"] == ["sns:Publish"]
    assert statement["Resource"] == [ARN.format("sns", "inner")]


def test_sids_are_unique_stable_and_alphanumeric() -> None:
    definition = match.build_match_definition(
        dict(match_settings_combinations())["all-unknownTrue"]
    )
    first = policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)
    again = policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)
    assert first == again
    sids = [s["Sid"] for s in first]
    assert len(set(sids)) == len(sids)
    assert all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids)


# parliament's bundled IAM database predates the HTTP Task: it does not know that
# states:InvokeHTTPEndpoint takes the state machine ARN and the states:HTTPMethod /
# states:HTTPEndpoint condition keys, which is what AWS documents ("Call HTTPS APIs in Step
# Functions workflows", IAM permissions section). Only those findings are tolerated.
_PARLIAMENT_STALE = {
    ("RESOURCE_MISMATCH", "states:InvokeHTTPEndpoint"),
    ("UNKNOWN_CONDITION_FOR_ACTION", "states:InvokeHTTPEndpoint"),
}


@pytest.mark.parametrize(("label", "definition"), DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
def test_parliament_finds_nothing_of_note(label: str, definition: dict[str, Any]) -> None:
    statements = policy_statements(definition, ENV, state_machine_arn=STATE_MACHINE_ARN)
    policy = analyze_policy_string(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    findings = []
    for finding in policy.findings:
        detail = json.dumps(finding.detail)
        if any(
            f.issue == issue and action in detail
            for issue, action in _PARLIAMENT_STALE
            for f in [finding]
        ):
            continue
        findings.append((finding.issue, finding.detail))
    assert findings == []


def _example_key(expression: str) -> str:
    """A key the expression could produce: its States.Format literal prefix, then anything."""
    literal = re.match(r"States\.Format\('([^'{]*)", expression)
    return (literal.group(1) if literal else "") + "some/object.json"


def _single_task(resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
        },
    }


def _http_definition(url: str, method: str) -> dict[str, Any]:
    return _single_task(
        "arn:aws:states:::http:invoke",
        {
            "ApiEndpoint": url,
            "Method": method,
            "Authentication": {"ConnectionArn": ARN.format("events", "connection/hook/abc-123")},
            "RequestBody.$": "$",
        },
    )
