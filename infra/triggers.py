"""What starts the workflows: the EventBridge Pipe (data stream -> decode enrichment -> match
workflow) and the EventBridge rule (faces bucket events -> indexing workflow).

Both have their own role, trusted only by their service for this very pipe/rule
(aws:SourceAccount + aws:SourceArn), and both send what they cannot deliver to the DLQ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from facewatch.workflows import pipe_settings
from facewatch.workflows.pipe_filter import filter_criteria
from infra import iam

KINESIS_READ_ACTIONS = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
]
FACES_BUCKET_EVENTS = ["Object Created", "Object Deleted"]


@dataclass(frozen=True)
class TriggerArgs:
    prefix: str
    region: str
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    key_arn: pulumi.Input[str]
    dlq_arn: pulumi.Output[str]
    dlq_url: pulumi.Output[str]
    data_stream_arn: pulumi.Output[str]
    faces_bucket: pulumi.Output[str]
    match_state_machine_arn: pulumi.Output[str]
    decode_function_arn: pulumi.Output[str]
    indexing_state_machine_arn: pulumi.Output[str]
    unknown_face_alerts: bool
    log_group_arn: pulumi.Output[str]


def pipe_name(prefix: str) -> str:
    return f"{prefix}-records"


def rule_name(prefix: str) -> str:
    return f"{prefix}-faces-changed"


def pipe_statements(
    *, stream_arn: str, dlq_arn: str, key_arn: str, state_machine_arn: str, log_group_arn: str,
    decode_function_arn: str, region: str,
) -> list[iam.Statement]:  # fmt: skip
    """The documented Kinesis-source permissions (eb-pipes-permissions.html), the DLQ, the
    enrichment (that one function, unqualified: the Pipe names it without a version), the
    target and the pipe's own ERROR log."""
    return [
        {"Sid": "ReadDataStream", "Effect": "Allow", "Action": KINESIS_READ_ACTIONS,
         "Resource": [stream_arn]},
        {"Sid": "DeadLetterFailedBatches", "Effect": "Allow", "Action": ["sqs:SendMessage"],
         "Resource": [dlq_arn]},
        {"Sid": "InvokeDecodeEnrichment", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
         "Resource": [decode_function_arn]},
        {"Sid": "StartMatchWorkflow", "Effect": "Allow", "Action": ["states:StartExecution"],
         "Resource": [state_machine_arn]},
        iam.write_logs("WritePipeLog", log_group_arn),
        iam.kms_via("DecryptRecordsEncryptDeadLetters", key_arn,
                    ["kms:Decrypt", "kms:GenerateDataKey"], ["kinesis", "sqs"], region),
    ]  # fmt: skip


def faces_rule_pattern(faces_bucket: str) -> str:
    return json.dumps(
        {
            "source": ["aws.s3"],
            "detail-type": FACES_BUCKET_EVENTS,
            "detail": {"bucket": {"name": [faces_bucket]}},
        }
    )


def create_pipe(name: str, args: TriggerArgs, parent: pulumi.Resource) -> aws.pipes.Pipe:
    pipe = pipe_name(args.prefix)
    env = pulumi.Output.all(args.account_id, args.partition)
    role, policy = iam.role(
        f"{name}-role",
        trust=env.apply(
            lambda v: iam.service_trust(
                "pipes.amazonaws.com", account_id=v[0],
                source_arn=f"arn:{v[1]}:pipes:{args.region}:{v[0]}:pipe/{pipe}",
            )
        ),
        statements=pulumi.Output.all(
            args.data_stream_arn, args.dlq_arn, args.key_arn, args.log_group_arn,
            args.match_state_machine_arn, args.decode_function_arn,
        ).apply(
            lambda v: pipe_statements(
                stream_arn=v[0], dlq_arn=v[1], key_arn=v[2], log_group_arn=v[3],
                state_machine_arn=v[4], decode_function_arn=v[5], region=args.region,
            )
        ),
        parent=parent,
        description=f"EventBridge Pipe {pipe}: data stream to match workflow",
    )  # fmt: skip
    criteria = filter_criteria(args.unknown_face_alerts)
    return aws.pipes.Pipe(
        name,
        name=pipe,
        description="facewatch: face-search records with faces (or malformed) -> decode -> "
        "match workflow",
        role_arn=role.arn,
        source=args.data_stream_arn,
        # The decode Lambda (handlers/decode.py) gets the filtered batch (up to 6 MB) and
        # returns the compact batch the workflow starts with (under Step Functions' 256 KB).
        enrichment=args.decode_function_arn,
        target=args.match_state_machine_arn,
        source_parameters={
            "filter_criteria": {
                "filters": [{"pattern": item["Pattern"]} for item in criteria["Filters"]]
            },
            "kinesis_stream_parameters": {
                # LATEST: the pipe is created with the (empty) stream, before any camera
                # starts, so nothing is skipped then. A replaced pipe starting at TRIM_HORIZON
                # would replay up to 24 h of sightings: stale alerts, or a DLQ flood once
                # older than MAXIMUM_RECORD_AGE_SECONDS. Records written while a pipe is
                # replaced are the trade-off (the README says to stop the cameras first).
                "starting_position": "LATEST",
                # Shared with the local Pipe (workflows/pipe_settings.py).
                "batch_size": pipe_settings.BATCH_SIZE,
                "maximum_batching_window_in_seconds": pipe_settings.BATCHING_WINDOW_SECONDS,
                "maximum_record_age_in_seconds": pipe_settings.MAXIMUM_RECORD_AGE_SECONDS,
                "maximum_retry_attempts": pipe_settings.MAXIMUM_RETRY_ATTEMPTS,
                # A failing batch is split to isolate the bad record before the DLQ.
                "on_partial_batch_item_failure": "AUTOMATIC_BISECT",
                "dead_letter_config": {"arn": args.dlq_arn},
            },
        },
        target_parameters={
            "step_function_state_machine_parameters": {"invocation_type": "FIRE_AND_FORGET"}
        },
        log_configuration={
            "level": "ERROR",
            "cloudwatch_logs_log_destination": {"log_group_arn": args.log_group_arn},
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
    )


def create_faces_rule(
    name: str, args: TriggerArgs, parent: pulumi.Resource
) -> aws.cloudwatch.EventRule:
    rule = aws.cloudwatch.EventRule(
        name,
        name=rule_name(args.prefix),
        description="facewatch: faces bucket object created/deleted -> indexing workflow",
        event_pattern=args.faces_bucket.apply(faces_rule_pattern),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    role, policy = iam.role(
        f"{name}-role",
        trust=pulumi.Output.all(args.account_id, rule.arn).apply(
            lambda v: iam.service_trust("events.amazonaws.com", account_id=v[0], source_arn=v[1])
        ),
        statements=args.indexing_state_machine_arn.apply(
            lambda arn: [{"Sid": "StartIndexingWorkflow", "Effect": "Allow",
                          "Action": ["states:StartExecution"], "Resource": [arn]}]
        ),
        parent=parent,
        description="EventBridge rule: faces bucket events to the indexing workflow",
    )  # fmt: skip
    # The DLQ is a target of EventBridge itself (not of the role): a queue policy lets
    # this rule, and only it, send there.
    aws.sqs.QueuePolicy(
        f"{name}-dlq-policy",
        queue_url=args.dlq_url,
        policy=pulumi.Output.all(args.dlq_arn, rule.arn).apply(
            lambda v: iam.document(
                [{"Sid": "FacesRuleDeadLetters", "Effect": "Allow",
                  "Principal": {"Service": "events.amazonaws.com"},
                  "Action": "sqs:SendMessage", "Resource": v[0],
                  "Condition": {"ArnEquals": {"aws:SourceArn": v[1]}}}]
            )
        ),
        opts=pulumi.ResourceOptions(parent=rule),
    )  # fmt: skip
    aws.cloudwatch.EventTarget(
        f"{name}-target",
        rule=rule.name,
        arn=args.indexing_state_machine_arn,
        role_arn=role.arn,
        # Retry a day (the S3 event is the only notice of a new photo), then the DLQ.
        retry_policy={"maximum_event_age_in_seconds": 86400, "maximum_retry_attempts": 185},
        dead_letter_config={"arn": args.dlq_arn},
        opts=pulumi.ResourceOptions(parent=rule, depends_on=[policy]),
    )
    return rule
