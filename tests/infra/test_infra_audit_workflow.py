"""Audit of issue #3, workflow and observability part: what the other stack tests leave
unchecked (the indexing definition, the faces rule's role and retries, every alarm's metric and
dimension, an alarm topic given only by ARN, one key for everything encrypted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from infra_policies import role_policy
from stack_configs import ALL_CHANNELS, ALL_TOKENS, ONE_CAMERA
from stack_harness import ACCOUNT, StackRun

REGION = "us-east-1"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"


@pytest.fixture(scope="module")
def run(stack: Callable[..., StackRun]) -> StackRun:
    return stack(ONE_CAMERA)


@pytest.fixture(scope="module")
def everything(stack: Callable[..., StackRun]) -> StackRun:
    """Every channel, an alarm email and an alarm topic: every encrypted resource type."""
    return stack({**ONE_CAMERA, **ALL_CHANNELS, "alarmEmail": "o@x.io"}, ALL_TOKENS)


def alarms(run: StackRun) -> dict[str, dict[str, Any]]:
    return {a.name: a.inputs for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}


def test_indexing_definition_is_the_builders_output(run: StackRun) -> None:
    from facewatch.workflows.indexing import build_indexing_definition
    from facewatch.workflows.settings import AwsEnvironment, IndexingWorkflowSettings

    # Given the settings built from the declared resources
    settings = IndexingWorkflowSettings(
        env=AwsEnvironment(REGION, ACCOUNT),
        collection_id="facewatch-dev",
        faces_bucket=run.named("storage-faces").outputs["bucket"],
        registry_table=run.named("tables-registry").outputs["name"],
        audit_bucket=run.named("storage-audit").outputs["bucket"],
        dead_letter_queue_url=run.named("workflow-dlq").outputs["url"],
    )

    # When the deployed definition is read back
    deployed = json.loads(run.named("workflow-indexing").inputs["definition"])

    # Then it is exactly what the shared builder produces
    assert deployed == json.loads(json.dumps(build_indexing_definition(settings)))


def test_faces_rule_target_uses_a_role_that_may_only_start_the_indexing_workflow(
    run: StackRun,
) -> None:
    target = run.one("aws:cloudwatch/eventTarget:EventTarget").inputs

    assert target["roleArn"] == run.named("workflow-faces-rule-role").outputs["arn"]
    assert role_policy(run, "workflow-faces-rule-role") == [
        {
            "Sid": "StartIndexingWorkflow",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": [run.named("workflow-indexing").outputs["arn"]],
        }
    ]


def test_faces_rule_retries_for_a_day_before_the_dead_letter_queue(run: StackRun) -> None:
    target = run.one("aws:cloudwatch/eventTarget:EventTarget").inputs

    assert target["retryPolicy"] == {
        "maximumEventAgeInSeconds": 86400,
        "maximumRetryAttempts": 185,
    }


def test_pipe_role_trust_is_limited_to_this_pipe(run: StackRun) -> None:
    trust = json.loads(run.named("workflow-pipe-role").inputs["assumeRolePolicy"])
    pipe = run.one("aws:pipes/pipe:Pipe")

    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnEquals": {"aws:SourceArn": pipe.outputs["arn"]},
    }


@pytest.mark.parametrize("machine", ["match", "indexing"])
def test_each_state_machine_has_a_failed_executions_alarm_on_its_own_arn(
    run: StackRun, machine: str
) -> None:
    alarm = alarms(run)[f"observability-{machine}-executions-failed"]

    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/States", "ExecutionsFailed")
    assert alarm["dimensions"] == {
        "StateMachineArn": run.named(f"workflow-{machine}").outputs["arn"]
    }
    assert (alarm["statistic"], alarm["threshold"], alarm["comparisonOperator"]) == (
        "Sum",
        0,
        "GreaterThanThreshold",
    )


@pytest.mark.parametrize("metric", ["ExecutionFailed", "TargetStageFailed"])
def test_pipe_failure_alarms_watch_this_pipe(run: StackRun, metric: str) -> None:
    # Metric names and the PipeName dimension as in the Pipes docs (eb-pipes-monitoring.html).
    alarm = alarms(run)[f"observability-pipe-{metric.lower()}"]

    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/EventBridge/Pipes", metric)
    assert alarm["dimensions"] == {"PipeName": run.one("aws:pipes/pipe:Pipe").outputs["name"]}
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (0, "GreaterThanThreshold")


@pytest.mark.parametrize("metric", ["DeadLetterInvocations", "InvocationsFailedToBeSentToDlq"])
def test_faces_rule_alarms_watch_this_rule(run: StackRun, metric: str) -> None:
    # Given the alarms on the rule that starts the indexing workflow
    (alarm,) = [a for a in alarms(run).values() if a["metricName"] == metric]

    # Then each watches this rule and fires on the first failed event
    assert alarm["namespace"] == "AWS/Events"
    assert alarm["dimensions"] == {
        "RuleName": run.one("aws:cloudwatch/eventRule:EventRule").outputs["name"]
    }
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (0, "GreaterThanThreshold")


def test_no_faces_rule_alarm_watches_a_metric_that_cannot_move(run: StackRun) -> None:
    # Given the rule has a dead-letter queue, EventBridge counts its failed deliveries in
    # DeadLetterInvocations, never in FailedInvocations: an alarm there could not fire
    metrics = {a["metricName"] for a in alarms(run).values() if a["namespace"] == "AWS/Events"}
    assert metrics == {"DeadLetterInvocations", "InvocationsFailedToBeSentToDlq"}


def test_faces_rule_alarms_say_what_to_do(run: StackRun) -> None:
    rule_alarms = [a for a in alarms(run).values() if a["namespace"] == "AWS/Events"]
    assert all("re-upload" in a["alarmDescription"] for a in rule_alarms)


def test_dlq_alarm_fires_on_the_first_waiting_message(run: StackRun) -> None:
    alarm = alarms(run)["observability-dlq-not-empty"]

    assert (alarm["namespace"], alarm["statistic"]) == ("AWS/SQS", "Maximum")
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (0, "GreaterThanThreshold")


def test_an_alarm_topic_given_by_arn_alone_receives_every_alarm(
    stack: Callable[..., StackRun],
) -> None:
    # Given only an existing topic ARN (no alarm email)
    run = stack({**ONE_CAMERA, "alarmTopicArn": TOPIC})

    # When the alarms are declared
    declared = alarms(run)

    # Then no topic is created and every alarm notifies the given one, on alarm and on OK
    assert run.count("aws:sns/topic:Topic") == 0
    assert declared
    for alarm in declared.values():
        assert (alarm["alarmActions"], alarm["okActions"]) == ([TOPIC], [TOPIC])


def test_everything_encrypted_uses_the_one_stack_key(everything: StackRun) -> None:
    # Given a stack with every channel and an alarm topic
    key = everything.named("storage-key").outputs["arn"]
    keyed = {
        "aws:kinesis/stream:Stream": "kmsKeyId",
        "aws:kinesis/videoStream:VideoStream": "kmsKeyId",
        "aws:sqs/queue:Queue": "kmsMasterKeyId",
        "aws:sns/topic:Topic": "kmsMasterKeyId",
        "aws:cloudwatch/logGroup:LogGroup": "kmsKeyId",
        "aws:cloudwatch/eventConnection:EventConnection": "kmsKeyIdentifier",
    }

    # When each encryptable resource's key is read
    found = {
        (r.type, r.name): r.inputs.get(field)
        for r in everything.resources
        for t, field in keyed.items()
        if r.type == t
    }
    found.update(
        {
            (r.type, r.name): r.inputs["serverSideEncryption"].get("kmsKeyArn")
            for r in everything.of_type("aws:dynamodb/table:Table")
        }
    )
    found.update(
        {
            (r.type, r.name): r.inputs["rules"][0]["applyServerSideEncryptionByDefault"].get(
                "kmsMasterKeyId"
            )
            for r in everything.of_type(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
            )
        }
    )

    # Then there is exactly one key and every one of them uses it
    assert everything.count("aws:kms/key:Key") == 1
    assert {t for t, _ in found} == {*keyed, "aws:dynamodb/table:Table"} | {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    }
    assert {name: value for name, value in found.items() if value != key} == {}
    # Two buckets, two tables, the DLQ, the SNS and alarm topics, three connections.
    assert len(found) >= 2 + 2 + 1 + 2 + 3
