"""Workflow: both state machines from `workflows/`, their roles and logs, what starts them
(the Pipe, with the decode Lambda as its enrichment, and the EventBridge rule), the match
workflow's snapshot Lambda and the dead-letter queue.

Each definition is built once per deploy inside `Output.apply` by the same builder the
local mode and the tests use; the role policy is derived from that very definition by
`workflows.permissions.policy_statements`, plus the statements listed in
`infra.workflow_role.infra_statements` (logging, X-Ray, KMS) whose reasons are written next
to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from facewatch.config import (
    EmailSettings,
    SlackSettings,
    WebhookSettings,
    WhatsAppSettings,
    WorkflowType,
)
from facewatch.workflows.settings import (
    AwsEnvironment,
    Channels,
    IndexingWorkflowSettings,
    MatchWorkflowSettings,
)
from infra import decode_function, iam, snapshot_function, triggers
from infra.lambda_function import PythonFunctionArgs, python_function
from infra.workflow_role import with_infra_statements

DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum: time to notice and redrive


@dataclass(frozen=True)
class ChannelInputs:
    """The configured channels and the ARNs `Notifications` created for them (Outputs);
    `Channels` is built from them inside `apply`."""

    email: EmailSettings | None = None
    slack: SlackSettings | None = None
    whatsapp: WhatsAppSettings | None = None
    webhook: WebhookSettings | None = None
    sns_topic_arn: pulumi.Output[str] | None = None
    # Channel name ("slack", "whatsapp", "webhook") -> its EventBridge connection's ARN.
    connection_arns: dict[str, pulumi.Output[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkflowArgs:
    prefix: str
    region: str
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    workflow_type: WorkflowType
    dedupe_window_seconds: int
    unknown_face_alerts: bool
    log_retention_days: int
    snapshot_link_seconds: int
    collection_id: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    faces_bucket: aws.s3.Bucket
    audit_bucket: aws.s3.Bucket
    registry_table: aws.dynamodb.Table
    dedupe_table: aws.dynamodb.Table
    data_stream: aws.kinesis.Stream
    video_stream_arns: list[pulumi.Output[str]]
    channels: ChannelInputs
    lambda_package: Path


def _channels(c: ChannelInputs, v: dict[str, Any]) -> Channels:
    from facewatch.workflows.settings import (
        EmailChannel,
        SlackChannel,
        SnsChannel,
        WebhookChannel,
        WhatsAppChannel,
    )

    return Channels(
        email=EmailChannel(c.email.sender, c.email.recipients) if c.email else None,
        sns=SnsChannel(v["sns"]) if v.get("sns") else None,
        slack=SlackChannel(v["slack"], c.slack.channel) if c.slack and v.get("slack") else None,
        whatsapp=WhatsAppChannel(v["whatsapp"], c.whatsapp.phone_number_id, c.whatsapp.recipient)
        if c.whatsapp and v.get("whatsapp")
        else None,
        webhook=WebhookChannel(v["webhook"], c.webhook.url)
        if c.webhook and v.get("webhook")
        else None,
    )


class Workflow(pulumi.ComponentResource):
    dead_letter_queue: aws.sqs.Queue
    match_state_machine: aws.sfn.StateMachine
    indexing_state_machine: aws.sfn.StateMachine
    snapshot_function: aws.lambda_.Function
    decode_function: aws.lambda_.Function
    object_key_function: aws.lambda_.Function
    pipe: aws.pipes.Pipe
    faces_rule: aws.cloudwatch.EventRule
    match_definition: pulumi.Output[dict[str, Any]]
    indexing_definition: pulumi.Output[dict[str, Any]]

    def __init__(
        self, name: str, args: WorkflowArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("facewatch:infra:Workflow", name, None, opts)
        from facewatch.workflows.indexing import build_indexing_definition
        from facewatch.workflows.match import build_match_definition

        child = pulumi.ResourceOptions(parent=self)
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq",
            kms_master_key_id=args.key_arn,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            opts=child,
        )
        self.env = pulumi.Output.all(args.account_id, args.partition).apply(
            lambda v: AwsEnvironment(region=args.region, account_id=v[0], partition=v[1])
        )
        self.snapshot_function = snapshot_function.snapshot_function(
            f"{name}-snapshot",
            snapshot_function.SnapshotFunctionArgs(
                function_name=f"{args.prefix}-snapshot",
                region=args.region,
                account_id=args.account_id,
                partition=args.partition,
                key_arn=args.key_arn,
                audit_bucket=args.audit_bucket.bucket,
                audit_bucket_arn=args.audit_bucket.arn,
                log_retention_days=args.log_retention_days,
                package=args.lambda_package,
                video_stream_arns=args.video_stream_arns,
                environment={
                    "AUDIT_BUCKET": args.audit_bucket.bucket,
                    "SNAPSHOT_URL_EXPIRY_SECONDS": str(args.snapshot_link_seconds),
                },
            ),
            parent=self,
        )
        # The Pipe's enrichment: it decodes each batch before the workflow starts (the
        # workflow no longer invokes it), and may only write what it offloads.
        self.decode_function = decode_function.decode_function(
            f"{name}-decode",
            decode_function.DecodeFunctionArgs(
                function_name=f"{args.prefix}-decode",
                region=args.region,
                account_id=args.account_id,
                partition=args.partition,
                key_arn=args.key_arn,
                audit_bucket=args.audit_bucket.bucket,
                audit_bucket_arn=args.audit_bucket.arn,
                unknown_face_alerts=args.unknown_face_alerts,
                log_retention_days=args.log_retention_days,
                package=args.lambda_package,
            ),
            parent=self,
        )
        # Decodes a URL-encoded S3 key for the indexing workflow (pure computation, logs only).
        self.object_key_function = python_function(
            f"{name}-object-key",
            PythonFunctionArgs(
                function_name=f"{args.prefix}-object-key",
                handler="handlers.object_key.lambda_handler",
                description="facewatch object-key Lambda: URL-decodes an S3 event's object key",
                region=args.region,
                account_id=args.account_id,
                partition=args.partition,
                key_arn=args.key_arn,
                log_retention_days=args.log_retention_days,
                package=args.lambda_package,
                timeout=10,
                memory_size=128,
            ),
            parent=self,
        )
        c = args.channels
        match_settings = pulumi.Output.all(
            env=self.env,
            registry=args.registry_table.name,
            dedupe=args.dedupe_table.name,
            faces=args.faces_bucket.bucket,
            audit=args.audit_bucket.bucket,
            dlq=self.dead_letter_queue.url,
            snapshot=self.snapshot_function.arn,
            sns=c.sns_topic_arn,
            **c.connection_arns,
        ).apply(
            lambda v: MatchWorkflowSettings(
                env=v["env"],
                registry_table=v["registry"],
                dedupe_table=v["dedupe"],
                faces_bucket=v["faces"],
                audit_bucket=v["audit"],
                dead_letter_queue_url=v["dlq"],
                snapshot_function_arn=v["snapshot"],
                channels=_channels(c, v),
                dedupe_window_seconds=args.dedupe_window_seconds,
                unknown_face_alerts=args.unknown_face_alerts,
            )
        )
        indexing_settings = pulumi.Output.all(
            env=self.env,
            collection=args.collection_id,
            faces=args.faces_bucket.bucket,
            registry=args.registry_table.name,
            audit=args.audit_bucket.bucket,
            dlq=self.dead_letter_queue.url,
            object_key=self.object_key_function.arn,
        ).apply(
            lambda v: IndexingWorkflowSettings(
                env=v["env"],
                collection_id=v["collection"],
                faces_bucket=v["faces"],
                registry_table=v["registry"],
                audit_bucket=v["audit"],
                dead_letter_queue_url=v["dlq"],
                object_key_function_arn=v["object_key"],
            )
        )
        self.match_definition = match_settings.apply(build_match_definition)
        self.indexing_definition = indexing_settings.apply(build_indexing_definition)
        self.match_state_machine = self._state_machine(
            f"{name}-match", f"{args.prefix}-match", self.match_definition, args.workflow_type, args
        )
        self.indexing_state_machine = self._state_machine(
            f"{name}-indexing",
            f"{args.prefix}-indexing",
            self.indexing_definition,
            "STANDARD",
            args,
        )
        trigger_args = triggers.TriggerArgs(
            prefix=args.prefix,
            region=args.region,
            account_id=args.account_id,
            partition=args.partition,
            key_arn=args.key_arn,
            dlq_arn=self.dead_letter_queue.arn,
            dlq_url=self.dead_letter_queue.url,
            data_stream_arn=args.data_stream.arn,
            faces_bucket=args.faces_bucket.bucket,
            match_state_machine_arn=self.match_state_machine.arn,
            decode_function_arn=self.decode_function.arn,
            indexing_state_machine_arn=self.indexing_state_machine.arn,
            unknown_face_alerts=args.unknown_face_alerts,
            log_group_arn=self._log_group(
                f"{name}-pipe-logs", f"/aws/vendedlogs/pipes/{args.prefix}-records", args
            ).arn,
        )
        self.pipe = triggers.create_pipe(f"{name}-pipe", trigger_args, self)
        self.faces_rule = triggers.create_faces_rule(f"{name}-faces-rule", trigger_args, self)
        self.register_outputs(
            {
                "matchStateMachineArn": self.match_state_machine.arn,
                "indexingStateMachineArn": self.indexing_state_machine.arn,
                "deadLetterQueueUrl": self.dead_letter_queue.url,
                "pipeName": self.pipe.name,
            }
        )

    def _log_group(self, name: str, group: str, args: WorkflowArgs) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            name,
            name=group,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _state_machine(
        self,
        name: str,
        machine: str,
        definition: pulumi.Output[dict[str, Any]],
        kind: WorkflowType,
        args: WorkflowArgs,
    ) -> aws.sfn.StateMachine:
        from facewatch.workflows.permissions import policy_statements

        # The name is fixed (prefix + purpose) so the ARN is known before the machine
        # exists: the role's policy and trust name it without a dependency cycle.
        arn = pulumi.Output.all(args.partition, args.account_id).apply(
            lambda v: f"arn:{v[0]}:states:{args.region}:{v[1]}:stateMachine:{machine}"
        )
        statements = pulumi.Output.all(definition, self.env, arn, args.key_arn).apply(
            lambda v: with_infra_statements(
                policy_statements(v[0], v[1], state_machine_arn=v[2]), v[3], args.region
            )
        )
        role, policy = iam.role(
            f"{name}-role",
            trust=pulumi.Output.all(args.account_id, arn).apply(
                lambda v: iam.service_trust(
                    "states.amazonaws.com", account_id=v[0], source_arn=v[1]
                )
            ),
            statements=statements,
            parent=self,
            description=f"Step Functions {machine}: permissions derived from its definition",
        )
        log_group = self._log_group(f"{name}-logs", f"/aws/vendedlogs/states/{machine}", args)
        return aws.sfn.StateMachine(
            name,
            name=machine,
            type=kind,
            role_arn=role.arn,
            definition=definition.apply(lambda d: json.dumps(d, indent=2)),
            # Standard executions keep their full history in the console, so ERROR is enough;
            # Express executions are only visible through their logs, so ALL.
            logging_configuration={
                "level": "ALL" if kind == "EXPRESS" else "ERROR",
                "include_execution_data": True,
                "log_destination": log_group.arn.apply(lambda a: f"{a}:*"),
            },
            tracing_configuration={"enabled": True},
            # Step Functions checks the role's logging permissions at creation.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group]),
        )
