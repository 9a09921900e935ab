"""Notification channels on and off, and the other switches of the config."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from infra_policies import role_policy
from stack_configs import ALL_CHANNELS, ALL_TOKENS, ONE_CAMERA
from stack_harness import StackRun

from facewatch.workflows.pipe_filter import filter_criteria

CONNECTED = ("slack", "whatsapp", "webhook")


def with_channel(channel: str) -> tuple[dict[str, Any], dict[str, str]]:
    token = f"{channel}Token"
    secrets = {token: ALL_TOKENS[token]} if token in ALL_TOKENS else {}
    return {**ONE_CAMERA, channel: ALL_CHANNELS[channel]}, secrets


@pytest.fixture(scope="module")
def none_run(stack: Callable[..., StackRun]) -> StackRun:
    return stack(ONE_CAMERA)


@pytest.fixture(scope="module")
def all_run(stack: Callable[..., StackRun]) -> StackRun:
    return stack({**ONE_CAMERA, **ALL_CHANNELS}, ALL_TOKENS)


def test_no_channel_configured_declares_no_channel_resource(none_run: StackRun) -> None:
    assert none_run.count("aws:sesv2/emailIdentity:EmailIdentity") == 0
    assert none_run.count("aws:sns/topic:Topic") == 0
    assert none_run.count("aws:cloudwatch/eventConnection:EventConnection") == 0


@pytest.mark.parametrize("channel", list(ALL_CHANNELS))
def test_each_channel_alone_declares_only_its_resources(
    stack: Callable[..., StackRun], channel: str
) -> None:
    values, secrets = with_channel(channel)

    run = stack(values, secrets)

    connections = {c.name for c in run.of_type("aws:cloudwatch/eventConnection:EventConnection")}
    assert run.count("aws:sesv2/emailIdentity:EmailIdentity") == (channel == "email")
    assert run.count("aws:sns/topic:Topic") == (channel == "sns")
    assert connections == ({f"notifications-{channel}"} if channel in CONNECTED else set())


def test_email_identity_is_the_sender(all_run: StackRun) -> None:
    identity = all_run.one("aws:sesv2/emailIdentity:EmailIdentity").inputs

    assert identity["emailIdentity"] == "alerts@example.com"


def test_sns_topic_is_encrypted_and_subscribes_each_address(all_run: StackRun) -> None:
    topic = all_run.one("aws:sns/topic:Topic")
    subscriptions = all_run.of_type("aws:sns/topicSubscription:TopicSubscription")

    assert topic.inputs["kmsMasterKeyId"] == all_run.named("storage-key").outputs["arn"]
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in subscriptions] == [
        ("email", "c@example.com")
    ]


@pytest.mark.parametrize("channel", CONNECTED)
def test_connection_sends_the_token_as_bearer_authorization(
    all_run: StackRun, channel: str
) -> None:
    connection = all_run.named(f"notifications-{channel}").inputs

    assert connection["authorizationType"] == "API_KEY"
    assert "authParameters" in all_run.named(f"notifications-{channel}").secret_inputs
    assert connection["authParameters"]["apiKey"] == {
        "key": "Authorization",
        "value": f"Bearer {ALL_TOKENS[f'{channel}Token']}",
    }


@pytest.mark.parametrize("channel", CONNECTED)
def test_match_workflow_calls_each_connection(all_run: StackRun, channel: str) -> None:
    definition = all_run.named("workflow-match").inputs["definition"]

    assert all_run.named(f"notifications-{channel}").outputs["arn"] in definition


def test_tokens_appear_only_in_their_connections_and_never_in_outputs(all_run: StackRun) -> None:
    for token in ALL_TOKENS.values():
        holders = [r.name for r in all_run.resources if token in json.dumps(r.inputs, default=str)]
        assert len(holders) == 1 and holders[0].startswith("notifications-")
        assert token not in json.dumps(all_run.outputs)


def test_webhook_without_token_still_gets_a_connection(stack: Callable[..., StackRun]) -> None:
    run = stack({**ONE_CAMERA, "webhook": ALL_CHANNELS["webhook"]})

    api_key = run.named("notifications-webhook").inputs["authParameters"]["apiKey"]
    assert api_key["key"] == "X-Facewatch-Source"


@pytest.mark.parametrize("channel", CONNECTED)
def test_connection_secret_is_encrypted_with_the_stack_key(all_run: StackRun, channel: str) -> None:
    connection = all_run.named(f"notifications-{channel}").inputs

    assert connection["kmsKeyIdentifier"] == all_run.named("storage-key").outputs["arn"]


def test_tokenless_webhook_connection_is_encrypted_with_the_stack_key(
    stack: Callable[..., StackRun],
) -> None:
    run = stack({**ONE_CAMERA, "webhook": ALL_CHANNELS["webhook"]})

    connection = run.named("notifications-webhook").inputs
    assert connection["kmsKeyIdentifier"] == run.named("storage-key").outputs["arn"]


def test_stack_key_carries_the_tag_eventbridge_connections_require(all_run: StackRun) -> None:
    # EventBridge's service-linked role may use only keys tagged so (its managed policy).
    assert all_run.named("storage-key").inputs["tags"] == {"EventBridgeApiDestinations": "true"}


def test_match_role_may_decrypt_exactly_the_connection_secrets_it_reads(
    all_run: StackRun,
) -> None:
    # given every channel on: three connections whose secrets the HTTP Tasks read
    statements = role_policy(all_run, "workflow-match-role")
    secrets = sorted(
        resource
        for s in statements
        if "secretsmanager:GetSecretValue" in s["Action"]
        for resource in s["Resource"]
    )

    # then the role may decrypt the stack key through Secrets Manager for those secrets only
    (decrypt,) = [s for s in statements if s["Sid"] == "InfraConnectionSecretsDecrypt"]
    assert len(secrets) == len(CONNECTED)
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Resource"] == [all_run.named("storage-key").outputs["arn"]]
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:SecretARN": secrets},
    }
    # and no key-policy statement grants it to anyone else
    key_policy = json.loads(all_run.named("storage-key").inputs["policy"])["Statement"]
    assert all(s["Principal"] != {"AWS": "*"} for s in key_policy)


def test_unknown_face_alerts_widen_the_pipe_filter(stack: Callable[..., StackRun]) -> None:
    run = stack({**ONE_CAMERA, "unknownFaceAlerts": True})

    filters = run.one("aws:pipes/pipe:Pipe").inputs["sourceParameters"]["filterCriteria"]["filters"]
    assert filters == [{"pattern": f["Pattern"]} for f in filter_criteria(True)["Filters"]]
    assert filter_criteria(True) != filter_criteria(False)


def test_express_match_workflow_logs_every_execution(stack: Callable[..., StackRun]) -> None:
    run = stack({**ONE_CAMERA, "workflowType": "EXPRESS"})

    match = run.named("workflow-match").inputs
    assert (match["type"], match["loggingConfiguration"]["level"]) == ("EXPRESS", "ALL")
    assert run.named("workflow-indexing").inputs["type"] == "STANDARD"


def test_alarm_email_creates_an_encrypted_alarm_topic_used_by_every_alarm(
    stack: Callable[..., StackRun],
) -> None:
    run = stack({**ONE_CAMERA, "alarmEmail": "ops@example.com", "alarmTopicArn":
                 "arn:aws:sns:us-east-1:123456789012:oncall"})  # fmt: skip

    topic = run.named("observability-alarms")
    alarms = run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert topic.inputs["kmsMasterKeyId"] == run.named("storage-key").outputs["arn"]
    assert run.named("observability-alarms-email").inputs["endpoint"] == "ops@example.com"
    # 2 workflows, the DLQ, 2 pipe metrics, 2 faces-rule metrics
    assert len(alarms) == 7
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [
            topic.outputs["arn"],
            "arn:aws:sns:us-east-1:123456789012:oncall",
        ]


def test_object_lock_protects_audit_records_for_the_retention(
    stack: Callable[..., StackRun],
) -> None:
    run = stack({**ONE_CAMERA, "auditObjectLock": True, "auditRetentionDays": 90})

    lock = run.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs
    assert run.named("storage-audit").inputs["objectLockEnabled"] is True
    assert lock["rule"] == {"defaultRetention": {"mode": "GOVERNANCE", "days": 90}}
    assert "objectLockEnabled" not in run.named("storage-faces").inputs


def test_audit_versions_are_kept_for_the_configured_retention(
    stack: Callable[..., StackRun],
) -> None:
    run = stack({**ONE_CAMERA, "auditObjectLock": True, "auditRetentionDays": 90})

    lifecycle = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (retention,) = [r for r in lifecycle.inputs["rules"] if "noncurrentVersionExpiration" in r]
    assert retention["expiration"] == {"days": 90}
    assert retention["noncurrentVersionExpiration"] == {"noncurrentDays": 90}


def test_threshold_reaches_the_processor(stack: Callable[..., StackRun]) -> None:
    run = stack({**ONE_CAMERA, "faceMatchThreshold": "92.5"})

    settings = run.one("aws:rekognition/streamProcessor:StreamProcessor").inputs["settings"]
    assert settings["faceSearch"]["faceMatchThreshold"] == 92.5


def test_threshold_reaches_the_camera_agent(stack: Callable[..., StackRun]) -> None:
    # given edge mode, where no processor applies the threshold
    run = stack({**ONE_CAMERA, "analysis": "edge", "faceMatchThreshold": "92.5"})

    # then the agent's start command carries it
    command = run.outputs["startProcessorCommand"].split()
    assert command[command.index("--threshold") + 1] == "92.5"


def test_invalid_config_stops_the_program_before_any_resource(lambda_package: Any) -> None:
    from stack_harness import run_stack

    from infra.config import ConfigError

    with pytest.raises(ConfigError, match="facewatch:faceMatchThreshold"):
        run_stack({**ONE_CAMERA, "faceMatchThreshold": "50"})


def test_the_dev_stack_file_with_project_defaults_deploys(stack: Callable[..., StackRun]) -> None:
    """What Pulumi passes for `pulumi up` on Pulumi.dev.yaml: its values over the defaults."""
    import yaml
    from stack_harness import ROOT

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    # Pulumi stores config as text: booleans as "true"/"false".
    values: dict[str, Any] = {
        key: json.dumps(default) if isinstance(default, bool) else str(default)
        for key, default in ((k, spec.get("default")) for k, spec in declared.items())
        if default is not None
    }
    dev = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    values.update({k.split(":", 1)[1]: v for k, v in dev.items() if k.startswith("facewatch:")})

    run = stack(values, region=dev["aws:region"])

    assert run.one("aws:rekognition/streamProcessor:StreamProcessor").inputs["name"] == (
        "facewatch-front-door"
    )
    assert run.one("aws:sesv2/emailIdentity:EmailIdentity").inputs["emailIdentity"]
    assert run.count("aws:cloudwatch/eventConnection:EventConnection") == 0
    alarms = run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarms and all(alarm.inputs["alarmActions"] for alarm in alarms)
