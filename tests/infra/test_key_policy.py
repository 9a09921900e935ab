"""The stack key's policy grants nothing beyond what each documented use needs.

Besides the account statement (IAM decides for the account's principals), every statement is
evaluated against requests it must allow and requests it must refuse: another account, another
service path, another secret, another stack's log group, an action the use does not need. A
statement widened (a condition dropped, a pattern loosened, an action added) lets one of the
refused requests through and fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import pytest
from stack_configs import ONE_CAMERA
from stack_harness import ACCOUNT, StackRun

from infra.key_policy import (
    LOGS_KEY_ACTIONS,
    key_policy_statements,
    stack_log_group_prefixes,
)

REGION = "eu-west-3"
OTHER_ACCOUNT = "210987654321"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/workflow-match-role-0a1b2c3"
CONNECTION_SECRET = (
    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:events!connection/slack-1a2b3c/4d5e-AbCdEf"
)
VIA_SECRETS_MANAGER = f"secretsmanager.{REGION}.amazonaws.com"


def arn_like(pattern: str, value: str) -> bool:
    """IAM ArnLike: each of the six colon-separated parts matched with * and ? wildcards."""
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    return len(pattern_parts) == len(value_parts) == 6 and all(
        fnmatchcase(v, p) for p, v in zip(pattern_parts, value_parts, strict=True)
    )


OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringLike": lambda pattern, actual: fnmatchcase(actual, pattern),
    "ArnLike": arn_like,
}


@dataclass
class Request:
    action: str
    context: dict[str, str] = field(default_factory=dict)
    aws_principal: str | None = None  # an IAM principal's ARN...
    service: str | None = None  # ...or an AWS service principal


def statement_allows(statement: dict[str, Any], request: Request) -> bool:
    principal = statement["Principal"]
    if "Service" in principal:
        if principal["Service"] != request.service:
            return False
    elif principal["AWS"] != "*" or request.aws_principal is None:
        return False
    if request.action not in statement["Action"]:
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, expected in keys.items():
            actual = request.context.get(key)
            values = expected if isinstance(expected, list) else [expected]
            if actual is None or not any(OPERATORS[operator](v, actual) for v in values):
                return False
    return True


def allowing_sids(statements: list[dict[str, Any]], request: Request) -> set[str]:
    """Which statements other than the account delegation allow the request."""
    return {
        s["Sid"]
        for s in statements
        if s["Principal"] != {"AWS": ROOT} and statement_allows(s, request)
    }


@pytest.fixture
def statements() -> list[dict[str, Any]]:
    # given the key policy of stack "dev" in account ACCOUNT, Region REGION
    return key_policy_statements(ACCOUNT, REGION, "aws", stack_log_group_prefixes("facewatch-dev"))


def connection_read() -> Request:
    # A state machine role's GetSecretValue makes Secrets Manager decrypt a connection secret.
    context = {
        "kms:CallerAccount": ACCOUNT,
        "kms:ViaService": VIA_SECRETS_MANAGER,
        "kms:EncryptionContext:SecretARN": CONNECTION_SECRET,
    }
    return Request("kms:Decrypt", context, aws_principal=ROLE)


def test_connection_secrets_are_decrypted_only_by_what_iam_grants(
    statements: list[dict[str, Any]],
) -> None:
    # when a role reads a connection secret through Secrets Manager
    allowed = allowing_sids(statements, connection_read())

    # then no key-policy statement but the account's own allows it: the role's IAM policy
    # decides (infra.workflow_role.connection_secrets_decrypt grants it to the match role)
    assert allowed == set()


def logs_request(group: str, *, action: str = "kms:GenerateDataKey") -> Request:
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"
    return Request(
        action, {"kms:EncryptionContext:aws:logs:arn": arn}, service=f"logs.{REGION}.amazonaws.com"
    )


@pytest.mark.parametrize(
    "group",
    ["/aws/lambda/facewatch-dev-snapshot", "/aws/lambda/facewatch-dev-decode",
     "/aws/lambda/facewatch-dev-object-key",
     "/aws/vendedlogs/states/facewatch-dev-match", "/aws/vendedlogs/states/facewatch-dev-indexing",
     "/aws/vendedlogs/pipes/facewatch-dev-records"],
)  # fmt: skip
def test_cloudwatch_logs_may_use_the_key_for_this_stacks_log_groups(
    statements: list[dict[str, Any]], group: str
) -> None:
    # when CloudWatch Logs encrypts one of this stack's log groups
    allowed = allowing_sids(statements, logs_request(group))

    # then the logs statement allows it
    assert allowed == {"CloudWatchLogsEncryptsLogGroups"}


@pytest.mark.parametrize(
    "group",
    ["/aws/lambda/facewatch-prod-snapshot", "/aws/lambda/other-app",
     "/aws/vendedlogs/states/facewatch-prod-match", "/aws/vendedlogs/events/facewatch-dev-x",
     "facewatch-dev-snapshot"],
)  # fmt: skip
def test_cloudwatch_logs_may_not_use_the_key_for_other_log_groups(
    statements: list[dict[str, Any]], group: str
) -> None:
    # when CloudWatch Logs is asked to encrypt a log group of another stack or application
    allowed = allowing_sids(statements, logs_request(group))

    # then no statement allows it
    assert allowed == set()


def test_cloudwatch_logs_may_not_use_the_key_for_another_accounts_group(
    statements: list[dict[str, Any]],
) -> None:
    # when the log group of the same name is in another account
    request = logs_request("/aws/lambda/facewatch-dev-snapshot")
    arn = request.context["kms:EncryptionContext:aws:logs:arn"]
    request.context["kms:EncryptionContext:aws:logs:arn"] = arn.replace(ACCOUNT, OTHER_ACCOUNT)

    # then no statement allows it
    assert allowing_sids(statements, request) == set()


def test_cloudwatch_logs_gets_only_its_documented_actions(statements: list[dict[str, Any]]) -> None:
    # when CloudWatch Logs asks for an action outside its documented set
    logs = {s["Sid"]: s for s in statements}["CloudWatchLogsEncryptsLogGroups"]
    request = logs_request("/aws/lambda/facewatch-dev-snapshot", action="kms:CreateGrant")

    # then it is refused, and the granted set is exactly the documented one
    assert allowing_sids(statements, request) == set()
    assert logs["Action"] == LOGS_KEY_ACTIONS


def test_cloudwatch_alarms_act_only_for_this_account(statements: list[dict[str, Any]]) -> None:
    # when CloudWatch encrypts an alarm message for this account, then for another account
    service, sid = "cloudwatch.amazonaws.com", "CloudWatchAlarmsPublishToEncryptedTopic"
    ours = Request("kms:GenerateDataKey", {"aws:SourceAccount": ACCOUNT}, service=service)
    theirs = Request("kms:GenerateDataKey", {"aws:SourceAccount": OTHER_ACCOUNT}, service=service)
    reencrypt = Request("kms:ReEncryptFrom", {"aws:SourceAccount": ACCOUNT}, service=service)

    # then only its own account's request is allowed, and only envelope encryption
    assert allowing_sids(statements, ours) == {sid}
    assert allowing_sids(statements, theirs) == set()
    assert allowing_sids(statements, reencrypt) == set()


def test_eventbridge_dead_letters_need_no_source_condition(
    statements: list[dict[str, Any]],
) -> None:
    # given EventBridge delivering a dead letter, which sends no source key KMS could check
    # (source conditions are not supported for its deliveries to encrypted targets)
    service, sid = "events.amazonaws.com", "EventBridgeDeadLettersToEncryptedQueue"
    delivery = Request("kms:GenerateDataKey", {}, service=service)
    reencrypt = Request("kms:ReEncryptFrom", {}, service=service)
    # then envelope encryption is allowed without any condition key, nothing else is
    assert allowing_sids(statements, delivery) == {sid}
    assert allowing_sids(statements, reencrypt) == set()
    [statement] = [s for s in statements if s["Sid"] == sid]
    assert "Condition" not in statement


def test_only_the_account_and_the_documented_services_are_principals(
    statements: list[dict[str, Any]],
) -> None:
    # when listing every principal the key policy names
    principals = [json.dumps(s["Principal"], sort_keys=True) for s in statements]

    # then each appears once, and none is the wildcard "*"
    assert sorted(principals) == sorted(
        json.dumps(p, sort_keys=True)
        for p in (
            {"AWS": ROOT},
            {"Service": f"logs.{REGION}.amazonaws.com"},
            {"Service": "events.amazonaws.com"},
            {"Service": "cloudwatch.amazonaws.com"},
        )
    )


# ---- The deployed program: the key policy matches what the stack encrypts with the key ----


def encrypted_log_groups(run: StackRun) -> list[str]:
    key_arn = run.named("storage-key").outputs["arn"]
    return [
        g.inputs["name"]
        for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")
        if g.inputs.get("kmsKeyId") == key_arn
    ]


def logs_patterns(run: StackRun) -> list[str]:
    statements = json.loads(run.named("storage-key").inputs["policy"])["Statement"]
    logs = {s["Sid"]: s for s in statements}["CloudWatchLogsEncryptsLogGroups"]
    return list(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])


def test_every_log_group_the_stack_encrypts_is_one_the_key_policy_allows(
    policy_run: StackRun,
) -> None:
    # given a stack run; when listing the log groups it encrypts with the stack key
    groups = encrypted_log_groups(policy_run)
    patterns = logs_patterns(policy_run)

    # then each is allowed by the key policy (else AWS would refuse to create it)
    assert groups
    for group in groups:
        arn = f"arn:aws:logs:{policy_run.region}:{ACCOUNT}:log-group:{group}"
        assert any(arn_like(p, arn) for p in patterns), (group, patterns)


def test_the_log_groups_the_key_allows_follow_the_stack_name(
    stack: Callable[..., StackRun],
) -> None:
    # given the program run as stack "prod"
    run = stack(ONE_CAMERA, stack="prod")

    # when reading its key policy's log-group patterns
    patterns = logs_patterns(run)

    # then they name the prod stack's groups, and those are the ones it encrypts
    assert all("/facewatch-prod-*" in p for p in patterns), patterns
    for group in encrypted_log_groups(run):
        arn = f"arn:aws:logs:{run.region}:{ACCOUNT}:log-group:{group}"
        assert any(arn_like(p, arn) for p in patterns), (group, patterns)
