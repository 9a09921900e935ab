"""Every IAM statement of the stack: no `*` action, scoped resources, source-limited trust, and
state machine roles equal to what their definitions need plus the written infra statements."""

from __future__ import annotations

import json

import pytest
from infra_policies import as_list, policies, role_policy
from stack_harness import ACCOUNT, StackRun

from facewatch.workflows.settings import AwsEnvironment
from infra.key_policy import ACCOUNT_KEY_ACTIONS
from infra.workflow_role import connection_secrets_decrypt, infra_statements, with_infra_statements

# Statements whose Resource is "*" because the service has no resource-level permission
# for those actions (AWS docs); each is added by infra with the reason next to it.
RESOURCE_STAR_SIDS = {"InfraVendedLogDelivery", "InfraXRayTracing", "WriteTraces"}


def allow_statements(policy_run: StackRun, kinds: tuple[str, ...]) -> list[tuple[str, dict]]:
    return [
        (p.source.name, s)
        for p in policies(policy_run)
        if p.kind in kinds
        for s in p.statements
        if s["Effect"] == "Allow"
    ]


KEY_ADMIN_SID = "AccountAdministersKeyThroughIam"


def test_no_allow_statement_grants_a_wildcard_action(policy_run: StackRun) -> None:
    for source, statement in allow_statements(policy_run, ("identity", "trust", "resource")):
        for action in as_list(statement["Action"]):
            assert "*" not in action, (source, statement)


def test_the_only_wildcard_action_is_the_tls_only_deny(policy_run: StackRun) -> None:
    wildcard = [
        (p.source.name, s["Sid"], s["Effect"], s["Action"])
        for p in policies(policy_run)
        for s in p.statements
        if any("*" in a for a in as_list(s["Action"]))
    ]
    assert wildcard
    assert {(sid, effect, action) for _, sid, effect, action in wildcard} == {
        ("DenyInsecureTransport", "Deny", "s3:*")
    }


def test_the_account_delegates_the_key_with_named_actions(policy_run: StackRun) -> None:
    statements = json.loads(policy_run.named("storage-key").inputs["policy"])["Statement"]
    root = next(s for s in statements if s["Sid"] == KEY_ADMIN_SID)

    assert root["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert root["Action"] == ACCOUNT_KEY_ACTIONS
    # PutKeyPolicy keeps the key manageable: without it a lost principal would lock it out.
    assert "kms:PutKeyPolicy" in root["Action"]
    assert "kms:ScheduleKeyDeletion" in root["Action"]  # pulumi destroy


def test_key_policy_delegates_to_iam_and_names_its_service_principals(policy_run: StackRun) -> None:
    statements = json.loads(policy_run.named("storage-key").inputs["policy"])["Statement"]
    by_sid = {s["Sid"]: s for s in statements}

    # The default key policy: without it the account could lock itself out of the key.
    assert by_sid["AccountAdministersKeyThroughIam"]["Principal"] == {
        "AWS": f"arn:aws:iam::{ACCOUNT}:root"
    }
    # EventBridge's dead-letter delivery cannot be conditioned on its source (key_policy.py).
    unconditioned = {"AccountAdministersKeyThroughIam", "EventBridgeDeadLettersToEncryptedQueue"}
    for sid in set(by_sid) - unconditioned:
        assert "Condition" in by_sid[sid], sid
        assert all("*" not in a for a in by_sid[sid]["Action"])


def test_identity_resources_are_scoped_to_arns(policy_run: StackRun) -> None:
    for source, statement in allow_statements(policy_run, ("identity",)):
        resources = as_list(statement["Resource"])
        if statement.get("Sid") in RESOURCE_STAR_SIDS:
            assert resources == ["*"]
            continue
        for resource in resources:
            assert resource.startswith("arn:aws:"), (source, statement)
            assert resource != "*" and not resource.endswith(":*:*"), (source, statement)


def test_service_roles_trust_only_their_service_within_the_account(policy_run: StackRun) -> None:
    for role in policy_run.of_type("aws:iam/role:Role"):
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        if "Service" not in statement["Principal"]:
            assert role.name == "analysis-camera-agent"
            continue
        condition = statement["Condition"]
        assert condition["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, role.name
        service = statement["Principal"]["Service"]
        if service != "lambda.amazonaws.com":  # Lambda sets no aws:SourceArn on AssumeRole
            assert condition["ArnEquals"]["aws:SourceArn"].startswith("arn:aws:"), role.name


@pytest.mark.parametrize("machine", ["match", "indexing"])
def test_state_machine_role_is_its_definition_plus_the_infra_statements(
    policy_run: StackRun, machine: str
) -> None:
    from facewatch.workflows.permissions import policy_statements

    declared = policy_run.named(f"workflow-{machine}")
    definition = json.loads(declared.inputs["definition"])
    env = AwsEnvironment(region=policy_run.region, account_id=ACCOUNT)
    key_arn = policy_run.named("storage-key").outputs["arn"]

    expected = with_infra_statements(
        policy_statements(definition, env, state_machine_arn=declared.outputs["arn"]),
        key_arn,
        policy_run.region,
    )

    assert role_policy(policy_run, f"workflow-{machine}-role") == json.loads(json.dumps(expected))
    assert declared.inputs["roleArn"] == policy_run.named(f"workflow-{machine}-role").outputs["arn"]


def test_infra_statements_are_logging_xray_and_key_use_only() -> None:
    statements = infra_statements("arn:aws:kms:us-east-1:1:key/k", "us-east-1", [])

    actions = {a for s in statements for a in s["Action"]}
    assert {a.split(":")[0] for a in actions} == {"logs", "xray", "kms"}
    assert statements[2]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "dynamodb.us-east-1.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
        "sns.us-east-1.amazonaws.com",
        "sqs.us-east-1.amazonaws.com",
    ]


SECRET = "arn:aws:secretsmanager:us-east-1:1:secret:events!connection/facewatch-slack/*"


def test_a_role_without_http_tasks_gets_no_connection_secret_decrypt() -> None:
    # given definition statements that read no secret
    derived = [{"Sid": "S3GetObject", "Effect": "Allow", "Action": ["s3:GetObject"],
                "Resource": ["arn:aws:s3:::b/*"]}]  # fmt: skip

    # when the infra statements are added
    statements = infra_statements("arn:aws:kms:us-east-1:1:key/k", "us-east-1", derived)

    # then none of them may decrypt through Secrets Manager
    assert [s["Sid"] for s in statements] == [
        "InfraVendedLogDelivery",
        "InfraXRayTracing",
        "InfraStackKeyViaServices",
    ]


def test_connection_secret_decrypt_names_exactly_the_secrets_the_role_may_read() -> None:
    # given a definition whose HTTP Task reads one connection's secret
    derived = [
        {"Sid": "SecretsmanagerGetSecretValueDescribeSecret", "Effect": "Allow",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Resource": [SECRET]},
    ]  # fmt: skip

    # when the decrypt statement is derived
    (statement,) = connection_secrets_decrypt("arn:aws:kms:us-east-1:1:key/k", "us-east-1", derived)

    # then it is Decrypt of the stack key, through Secrets Manager, for that secret only
    assert statement == {
        "Sid": "InfraConnectionSecretsDecrypt",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": ["arn:aws:kms:us-east-1:1:key/k"],
        "Condition": {
            "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:SecretARN": [SECRET]},
        },
    }
