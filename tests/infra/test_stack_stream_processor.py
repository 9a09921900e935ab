"""One camera, stream-processor mode (the Pulumi.dev.yaml shape): what `pulumi up` would create."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from infra_policies import role_policy
from stack_configs import ONE_CAMERA
from stack_harness import ACCOUNT, StackRun

from facewatch.workflows import pipe_settings
from facewatch.workflows.pipe_filter import filter_criteria

REGION = "us-east-1"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/storage-key"
PROCESSOR_ARN_PREFIX = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:streamprocessor"


@pytest.fixture(scope="module")
def run(stack: Callable[..., StackRun]) -> StackRun:
    return stack(
        {**ONE_CAMERA, "email": {"sender": "a@example.com", "recipients": ["b@example.com"]}}
    )


def outputs_of(run: StackRun, name: str) -> dict[str, Any]:
    return run.named(name).outputs


def test_one_component_per_concern_with_its_type_token(run: StackRun) -> None:
    components = {r.type: r.name for r in run.resources if r.type.startswith("facewatch:")}

    assert components == {
        "facewatch:infra:Storage": "storage",
        "facewatch:infra:Tables": "tables",
        "facewatch:infra:Analysis": "analysis",
        "facewatch:infra:Notifications": "notifications",
        "facewatch:infra:Workflow": "workflow",
        "facewatch:infra:Observability": "observability",
    }


def test_video_stream_is_named_after_the_camera_and_keeps_a_day(run: StackRun) -> None:
    video = run.one("aws:kinesis/videoStream:VideoStream")

    assert video.inputs["name"] == "front-door"
    assert video.inputs["dataRetentionInHours"] >= 24
    assert video.inputs["kmsKeyId"] == KEY_ARN


def test_face_search_processor_reads_the_camera_and_writes_the_data_stream(run: StackRun) -> None:
    processor = run.one("aws:rekognition/streamProcessor:StreamProcessor").inputs
    video = outputs_of(run, "analysis-front-door-video")
    data = outputs_of(run, "analysis-data")

    assert processor["name"] == "facewatch-front-door"
    assert processor["input"]["kinesisVideoStream"]["arn"] == video["arn"]
    assert processor["output"]["kinesisDataStream"]["arn"] == data["arn"]
    assert processor["settings"]["faceSearch"] == {
        "collectionId": "facewatch-dev",
        "faceMatchThreshold": 80,
    }
    assert processor["roleArn"] == outputs_of(run, "analysis-front-door-processor-role")["arn"]


def test_processor_role_has_exactly_the_documented_permissions(run: StackRun) -> None:
    statements = role_policy(run, "analysis-front-door-processor-role")
    video = outputs_of(run, "analysis-front-door-video")["arn"]
    data = outputs_of(run, "analysis-data")["arn"]
    by_sid = {s["Sid"]: s for s in statements}

    assert by_sid["ReadCameraVideo"]["Action"] == [
        "kinesisvideo:GetDataEndpoint",
        "kinesisvideo:GetMedia",
    ]
    assert by_sid["ReadCameraVideo"]["Resource"] == [video]
    assert by_sid["WriteFaceSearchRecords"]["Action"] == ["kinesis:PutRecord", "kinesis:PutRecords"]
    assert by_sid["WriteFaceSearchRecords"]["Resource"] == [data]
    # The streams are encrypted with the stack key: KMS use only through those two services.
    assert by_sid["DecryptVideo"]["Condition"] == {
        "StringEquals": {"kms:ViaService": [f"kinesisvideo.{REGION}.amazonaws.com"]}
    }
    assert by_sid["EncryptRecords"]["Action"] == ["kms:GenerateDataKey"]
    assert set(by_sid) == {
        "ReadCameraVideo",
        "WriteFaceSearchRecords",
        "DecryptVideo",
        "EncryptRecords",
    }


def test_processor_role_trust_is_limited_to_this_processor(run: StackRun) -> None:
    trust = json.loads(run.named("analysis-front-door-processor-role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]

    assert statement["Principal"] == {"Service": "rekognition.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnEquals": {"aws:SourceArn": f"{PROCESSOR_ARN_PREFIX}/facewatch-front-door"},
    }


def test_data_stream_is_on_demand_and_kms_encrypted(run: StackRun) -> None:
    data = run.one("aws:kinesis/stream:Stream").inputs

    assert data["streamModeDetails"] == {"streamMode": "ON_DEMAND"}
    assert (data["encryptionType"], data["kmsKeyId"]) == ("KMS", KEY_ARN)


def test_one_collection_with_a_stack_derived_id(run: StackRun) -> None:
    assert (
        run.one("aws:rekognition/collection:Collection").inputs["collectionId"] == "facewatch-dev"
    )


def test_kms_key_rotates_and_has_an_alias(run: StackRun) -> None:
    key = run.one("aws:kms/key:Key").inputs

    assert key["enableKeyRotation"] is True
    assert run.one("aws:kms/alias:Alias").inputs["name"] == "alias/facewatch-dev"


@pytest.mark.parametrize("bucket", ["storage-faces", "storage-audit"])
def test_buckets_are_private_encrypted_and_tls_only(run: StackRun, bucket: str) -> None:
    declared = run.named(bucket)
    block = run.named(f"{bucket}-public-access-block").inputs
    encryption = run.named(f"{bucket}-encryption").inputs["rules"][0]
    policy = json.loads(run.named(f"{bucket}-tls-only").inputs["policy"])
    arn = declared.outputs["arn"]

    assert "bucket" not in declared.inputs  # auto-named: never a value computed at run time
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                  "restrictPublicBuckets"))  # fmt: skip
    assert encryption["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": KEY_ARN,
    }
    assert policy["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_faces_bucket_sends_events_to_eventbridge(run: StackRun) -> None:
    notification = run.one("aws:s3/bucketNotification:BucketNotification").inputs

    assert notification["eventbridge"] is True
    assert notification["bucket"] == run.named("storage-faces").outputs["bucket"]


def test_audit_bucket_is_versioned_and_expires_after_the_retention(run: StackRun) -> None:
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    rules = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs[
        "rules"
    ]

    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    assert rules[0]["expiration"] == {"days": 365}
    # A superseded or deleted record stays recoverable for the whole retention period.
    assert rules[0]["noncurrentVersionExpiration"] == {"noncurrentDays": 365}
    assert run.count("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") == 0


def test_tables_are_on_demand_encrypted_with_pitr_and_ttl(run: StackRun) -> None:
    registry = run.named("tables-registry").inputs
    dedupe = run.named("tables-dedupe").inputs

    for table in (registry, dedupe):
        assert table["billingMode"] == "PAY_PER_REQUEST"
        assert (table["hashKey"], table["attributes"]) == ("pk", [{"name": "pk", "type": "S"}])
        assert table["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": KEY_ARN}
    assert registry["pointInTimeRecovery"]["enabled"] is True
    assert dedupe["ttl"] == {"attributeName": "expiresAt", "enabled": True}


@pytest.mark.parametrize(("machine", "kind"), [("match", "STANDARD"), ("indexing", "STANDARD")])
def test_state_machines_log_to_vended_log_groups_with_xray(
    run: StackRun, machine: str, kind: str
) -> None:
    declared = run.named(f"workflow-{machine}").inputs
    group = run.named(f"workflow-{machine}-logs")

    assert declared["name"] == f"facewatch-dev-{machine}"
    assert declared["type"] == kind
    assert declared["tracingConfiguration"] == {"enabled": True}
    assert group.inputs["name"] == f"/aws/vendedlogs/states/facewatch-dev-{machine}"
    assert (group.inputs["retentionInDays"], group.inputs["kmsKeyId"]) == (30, KEY_ARN)
    assert declared["loggingConfiguration"]["logDestination"] == f"{group.outputs['arn']}:*"
    assert declared["loggingConfiguration"]["includeExecutionData"] is True


def test_state_machine_definitions_are_the_builders_output(run: StackRun) -> None:
    from facewatch.workflows.match import build_match_definition

    definition = json.loads(run.named("workflow-match").inputs["definition"])

    assert definition["StartAt"] in definition["States"]
    assert json.dumps(definition, sort_keys=True) == json.dumps(
        build_match_definition(match_settings(run)), sort_keys=True
    )


def match_settings(run: StackRun) -> Any:
    from facewatch.workflows.settings import (
        AwsEnvironment,
        Channels,
        EmailChannel,
        MatchWorkflowSettings,
    )

    return MatchWorkflowSettings(
        env=AwsEnvironment(REGION, ACCOUNT),
        registry_table=outputs_of(run, "tables-registry")["name"],
        dedupe_table=outputs_of(run, "tables-dedupe")["name"],
        faces_bucket=outputs_of(run, "storage-faces")["bucket"],
        audit_bucket=outputs_of(run, "storage-audit")["bucket"],
        dead_letter_queue_url=outputs_of(run, "workflow-dlq")["url"],
        snapshot_function_arn=outputs_of(run, "workflow-snapshot")["arn"],
        channels=Channels(email=EmailChannel("a@example.com", ("b@example.com",))),
    )


def test_pipe_filters_matched_faces_into_the_match_workflow(run: StackRun) -> None:
    pipe = run.one("aws:pipes/pipe:Pipe").inputs
    kinesis = pipe["sourceParameters"]["kinesisStreamParameters"]

    assert pipe["source"] == outputs_of(run, "analysis-data")["arn"]
    assert pipe["target"] == outputs_of(run, "workflow-match")["arn"]
    assert pipe["targetParameters"] == {
        "stepFunctionStateMachineParameters": {"invocationType": "FIRE_AND_FORGET"}
    }
    assert pipe["sourceParameters"]["filterCriteria"]["filters"] == [
        {"pattern": f["Pattern"]} for f in filter_criteria(False)["Filters"]
    ]
    assert (
        kinesis["batchSize"],
        kinesis["maximumBatchingWindowInSeconds"],
        kinesis["maximumRecordAgeInSeconds"],
        kinesis["maximumRetryAttempts"],
    ) == (
        pipe_settings.BATCH_SIZE,
        pipe_settings.BATCHING_WINDOW_SECONDS,
        pipe_settings.MAXIMUM_RECORD_AGE_SECONDS,
        pipe_settings.MAXIMUM_RETRY_ATTEMPTS,
    )
    assert kinesis["deadLetterConfig"] == {"arn": outputs_of(run, "workflow-dlq")["arn"]}


def test_pipe_keeps_matched_faces_and_malformed_json_records(run: StackRun) -> None:
    filters = run.one("aws:pipes/pipe:Pipe").inputs["sourceParameters"]["filterCriteria"]
    patterns = [json.loads(f["pattern"]) for f in filters["filters"]]

    assert patterns == [
        {
            "data": {
                "FaceSearchResponse": {"MatchedFaces": {"Face": {"FaceId": [{"exists": True}]}}}
            }
        },
        {"data": {"InputInformation": {"KinesisVideo": {"StreamArn": [{"exists": False}]}}}},
        {"data": {"FaceSearchResponse": [{"exists": True}]}},
    ]


def test_pipe_role_reads_the_stream_and_starts_only_the_match_workflow(run: StackRun) -> None:
    by_sid = {s["Sid"]: s for s in role_policy(run, "workflow-pipe-role")}

    assert by_sid["ReadDataStream"]["Resource"] == [outputs_of(run, "analysis-data")["arn"]]
    assert by_sid["StartMatchWorkflow"] == {
        "Sid": "StartMatchWorkflow",
        "Effect": "Allow",
        "Action": ["states:StartExecution"],
        "Resource": [outputs_of(run, "workflow-match")["arn"]],
    }
    assert by_sid["DeadLetterFailedBatches"]["Resource"] == [outputs_of(run, "workflow-dlq")["arn"]]


def test_faces_rule_starts_the_indexing_workflow_with_a_dead_letter_queue(run: StackRun) -> None:
    rule = run.one("aws:cloudwatch/eventRule:EventRule").inputs
    target = run.one("aws:cloudwatch/eventTarget:EventTarget").inputs
    queue_policy = json.loads(run.one("aws:sqs/queuePolicy:QueuePolicy").inputs["policy"])

    assert json.loads(rule["eventPattern"]) == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created", "Object Deleted"],
        "detail": {"bucket": {"name": [outputs_of(run, "storage-faces")["bucket"]]}},
    }
    assert target["arn"] == outputs_of(run, "workflow-indexing")["arn"]
    assert target["deadLetterConfig"] == {"arn": outputs_of(run, "workflow-dlq")["arn"]}
    assert queue_policy["Statement"][0]["Condition"] == {
        "ArnEquals": {"aws:SourceArn": outputs_of(run, "workflow-faces-rule")["arn"]}
    }


def test_snapshot_lambda_is_packaged_from_handlers_with_tracing(run: StackRun) -> None:
    function = run.named("workflow-snapshot").inputs
    by_sid = {s["Sid"]: s for s in role_policy(run, "workflow-snapshot-role")}
    audit = outputs_of(run, "storage-audit")

    assert (function["runtime"], function["handler"]) == (
        "python3.12",
        "handlers.snapshot.lambda_handler",
    )
    assert function["tracingConfig"] == {"mode": "Active"}
    assert function["environment"]["variables"] == {
        "AUDIT_BUCKET": audit["bucket"],
        "SNAPSHOT_URL_EXPIRY_SECONDS": "3600",  # snapshotLinkSeconds' default
    }
    assert by_sid["ReadCameraFrames"]["Action"] == [
        "kinesisvideo:GetDataEndpoint",
        "kinesisvideo:GetImages",
    ]
    assert by_sid["ReadCameraFrames"]["Resource"] == [
        outputs_of(run, "analysis-front-door-video")["arn"]
    ]
    assert by_sid["ReadWriteSnapshots"]["Resource"] == [f"{audit['arn']}/snapshots/*"]


def test_dead_letter_queue_is_kms_encrypted(run: StackRun) -> None:
    queue = run.one("aws:sqs/queue:Queue").inputs

    assert queue["kmsMasterKeyId"] == KEY_ARN
    assert queue["messageRetentionSeconds"] == 14 * 24 * 3600


def test_alarms_cover_failed_executions_dlq_depth_and_the_pipe(run: StackRun) -> None:
    alarms = {a.name: a.inputs for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}

    assert alarms["observability-match-executions-failed"]["dimensions"] == {
        "StateMachineArn": outputs_of(run, "workflow-match")["arn"]
    }
    assert alarms["observability-indexing-executions-failed"]["metricName"] == "ExecutionsFailed"
    assert (
        alarms["observability-dlq-not-empty"]["metricName"] == "ApproximateNumberOfMessagesVisible"
    )
    assert alarms["observability-dlq-not-empty"]["dimensions"] == {
        "QueueName": outputs_of(run, "workflow-dlq")["name"]
    }
    assert {
        a["metricName"] for a in alarms.values() if a["namespace"] == "AWS/EventBridge/Pipes"
    } == {
        "ExecutionFailed",
        "TargetStageFailed",
    }
    # No alarm topic configured: the alarms exist without actions.
    assert all(not a.get("alarmActions") for a in alarms.values())


def test_single_camera_outputs_are_plain_runnable_strings(run: StackRun) -> None:
    out = run.outputs

    assert out["startProcessorCommand"] == (
        "aws rekognition start-stream-processor --name facewatch-front-door --region us-east-1"
    )
    assert out["stopProcessorCommand"] == (
        "aws rekognition stop-stream-processor --name facewatch-front-door --region us-east-1"
    )
    assert out["describeProcessorCommand"] == (
        "aws rekognition describe-stream-processor --name facewatch-front-door --region us-east-1"
    )
    assert "kvssink stream-name=front-door aws-region=us-east-1" in out["webcamProducerCommand"]
    assert out["rtspProducerCommand"].startswith('gst-launch-1.0 rtspsrc location="$RTSP_URL"')
    assert out["cameras"]["front-door"]["startProcessorCommand"] == out["startProcessorCommand"]
    assert out["facesBucket"] == outputs_of(run, "storage-faces")["bucket"]
    assert out["enrolCommand"].startswith("facewatch faces add PHOTO.jpg --name")
    assert f"--bucket {out['facesBucket']}" in out["enrolCommand"]
    assert out["registryTable"] == outputs_of(run, "tables-registry")["name"]
    assert f"--registry-table {out['registryTable']}" in out["enrolCommand"]
    assert out["matchStateMachineArn"] == outputs_of(run, "workflow-match")["arn"]
    assert out["collectionId"] == "facewatch-dev"
    assert out["dataStream"] == outputs_of(run, "analysis-data")["name"]
    assert out["matchExecutionsUrl"] == (
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1"
        f"#/statemachines/view/arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:facewatch-dev-match"
    )
    assert out["indexingExecutionsUrl"].endswith("stateMachine:facewatch-dev-indexing")
    assert "aws_access_key" not in json.dumps(out).lower()
    assert run.secret_outputs == set()


def test_the_cli_finds_every_output_it_reads_with_stack(run: StackRun) -> None:
    from facewatch.cli.common import STACK_OUTPUTS

    # `facewatch ... --stack NAME` reads these names from `pulumi stack output --json`.
    assert set(STACK_OUTPUTS) <= set(run.outputs)
    assert run.outputs["region"] == REGION
