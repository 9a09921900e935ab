"""The stack's resources, created on the local endpoint from the same settings.

`LocalResources` names what the stack creates (buckets, tables, data stream, DLQ,
SNS topic, SES identity, EventBridge connections, the two state machines); its
`match_settings()` / `indexing_settings()` are the very `workflows.settings` objects
the stack builds its definitions from, so `workflows.match.build_match_definition`
and `workflows.indexing.build_indexing_definition` produce the same ASL here as in
`infra/`. Nothing in a definition is rewritten: the local mode only chooses names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from workflows.settings import (
    AwsEnvironment,
    Channels,
    EmailChannel,
    IndexingWorkflowSettings,
    MatchWorkflowSettings,
    SlackChannel,
    SnsChannel,
    WebhookChannel,
    WhatsAppChannel,
)

LOCAL_ACCOUNT = "123456789012"  # moto's default account
DEFAULT_REGION = "us-east-1"
# A placeholder the capture sink answers for; `--http-passthrough` sends to it for real.
DEFAULT_WEBHOOK_URL = "https://webhook.facewatch.invalid/alerts"
PLACEHOLDER_SECRET = "local-placeholder-not-a-secret"  # moto needs some value


@dataclass(frozen=True)
class LocalResources:
    """Names of the local resources (the stack lets Pulumi auto-name them)."""

    region: str = DEFAULT_REGION
    prefix: str = "facewatch"
    dedupe_window_seconds: int = 300
    unknown_face_alerts: bool = False
    channels: tuple[str, ...] = ("email", "sns", "slack", "whatsapp", "webhook")
    webhook_url: str = DEFAULT_WEBHOOK_URL
    cameras: dict[str, str] = field(default_factory=dict)
    connection_arns: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> AwsEnvironment:
        return AwsEnvironment(region=self.region, account_id=LOCAL_ACCOUNT)

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{LOCAL_ACCOUNT}:{resource}"

    @property
    def faces_bucket(self) -> str:
        return f"{self.prefix}-faces"

    @property
    def audit_bucket(self) -> str:
        return f"{self.prefix}-audit"

    @property
    def registry_table(self) -> str:
        return f"{self.prefix}-registry"

    @property
    def dedupe_table(self) -> str:
        return f"{self.prefix}-dedupe"

    @property
    def data_stream(self) -> str:
        return f"{self.prefix}-records"

    @property
    def data_stream_arn(self) -> str:
        return self._arn("kinesis", f"stream/{self.data_stream}")

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}-dlq"

    @property
    def notifications_queue(self) -> str:
        """SQS queue subscribed to the topic so the local mode can show SNS notifications."""
        return f"{self.prefix}-notifications-local"

    @property
    def topic_name(self) -> str:
        return f"{self.prefix}-alerts"

    @property
    def topic_arn(self) -> str:
        return self._arn("sns", self.topic_name)

    @property
    def collection_id(self) -> str:
        return self.prefix

    @property
    def snapshot_function(self) -> str:
        return f"{self.prefix}-snapshot"

    @property
    def snapshot_function_arn(self) -> str:
        return self._arn("lambda", f"function:{self.snapshot_function}")

    @property
    def decode_function(self) -> str:
        return f"{self.prefix}-decode"

    @property
    def decode_function_arn(self) -> str:
        return self._arn("lambda", f"function:{self.decode_function}")

    @property
    def match_state_machine(self) -> str:
        return f"{self.prefix}-match"

    @property
    def indexing_state_machine(self) -> str:
        return f"{self.prefix}-indexing"

    def state_machine_arn(self, name: str) -> str:
        return self._arn("states", f"stateMachine:{name}")

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{self.prefix}-local-workflows"

    @property
    def pipe_role_arn(self) -> str:
        return f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{self.prefix}-local-pipe"

    def connection_arn(self, channel: str) -> str:
        # moto names connections `connection/<name>/<uuid>`: the definitions use the ARN
        # create_connection returned (recorded in `connection_arns`).
        return self.connection_arns[channel]

    @property
    def sender(self) -> str:
        return "facewatch@example.com"

    @property
    def recipients(self) -> tuple[str, ...]:
        return ("security@example.com",)

    def queue_url(self, endpoint_url: str, name: str) -> str:
        return f"{endpoint_url}/{LOCAL_ACCOUNT}/{name}"

    def channels_settings(self, endpoint_url: str) -> Channels:
        wanted = set(self.channels)
        return Channels(
            email=EmailChannel(self.sender, self.recipients) if "email" in wanted else None,
            sns=SnsChannel(self.topic_arn) if "sns" in wanted else None,
            slack=SlackChannel(self.connection_arn("slack"), channel="#facewatch")
            if "slack" in wanted
            else None,
            whatsapp=WhatsAppChannel(
                self.connection_arn("whatsapp"),
                phone_number_id="100000000000000",
                recipient="15550000000",
            )
            if "whatsapp" in wanted
            else None,
            webhook=WebhookChannel(self.connection_arn("webhook"), url=self.webhook_url)
            if "webhook" in wanted
            else None,
        )

    def match_settings(self, endpoint_url: str) -> MatchWorkflowSettings:
        return MatchWorkflowSettings(
            env=self.env,
            analysis_mode="edge",
            registry_table=self.registry_table,
            dedupe_table=self.dedupe_table,
            faces_bucket=self.faces_bucket,
            audit_bucket=self.audit_bucket,
            dead_letter_queue_url=self.queue_url(endpoint_url, self.dead_letter_queue),
            snapshot_function_arn=self.snapshot_function_arn,
            decode_function_arn=self.decode_function_arn,
            channels=self.channels_settings(endpoint_url),
            dedupe_window_seconds=self.dedupe_window_seconds,
            unknown_face_alerts=self.unknown_face_alerts,
        )

    def indexing_settings(self, endpoint_url: str) -> IndexingWorkflowSettings:
        return IndexingWorkflowSettings(
            env=self.env,
            collection_id=self.collection_id,
            faces_bucket=self.faces_bucket,
            registry_table=self.registry_table,
            audit_bucket=self.audit_bucket,
            dead_letter_queue_url=self.queue_url(endpoint_url, self.dead_letter_queue),
        )

    def describe(self, endpoint_url: str) -> dict[str, Any]:
        """What `local.json` records and the CLI reads (same keys as the stack outputs)."""
        return {
            "endpointUrl": endpoint_url,
            "region": self.region,
            "facesBucket": self.faces_bucket,
            "auditBucket": self.audit_bucket,
            "registryTable": self.registry_table,
            "dedupeTable": self.dedupe_table,
            "dataStream": self.data_stream,
            "collectionId": self.collection_id,
            "matchStateMachineArn": self.state_machine_arn(self.match_state_machine),
            "indexingStateMachineArn": self.state_machine_arn(self.indexing_state_machine),
            "deadLetterQueueUrl": self.queue_url(endpoint_url, self.dead_letter_queue),
            "notificationsQueueUrl": self.queue_url(endpoint_url, self.notifications_queue),
            "topicArn": self.topic_arn,
            "cameras": dict(self.cameras),
        }


def create_resources(
    resources: LocalResources, clients: dict[str, Any], endpoint_url: str
) -> dict[str, Any]:
    """Create every resource on the endpoint; returns the definitions it deployed.

    `clients` maps service names (s3, dynamodb, kinesis, sqs, sns, ses, events, iam,
    stepfunctions) to boto3 clients bound to the local endpoint.
    """
    s3, ddb = clients["s3"], clients["dynamodb"]
    for bucket in (resources.faces_bucket, resources.audit_bucket):
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if resources.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": resources.region}
        s3.create_bucket(**kwargs)
    # As in the stack: the faces bucket sends its events to EventBridge (the local
    # S3 adapter delivers them, see s3_events.py).
    s3.put_bucket_notification_configuration(
        Bucket=resources.faces_bucket,
        NotificationConfiguration={"EventBridgeConfiguration": {}},
    )
    for table in (resources.registry_table, resources.dedupe_table):
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    ddb.update_time_to_live(
        TableName=resources.dedupe_table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
    )
    clients["kinesis"].create_stream(StreamName=resources.data_stream, ShardCount=1)
    sqs = clients["sqs"]
    sqs.create_queue(QueueName=resources.dead_letter_queue)
    queue_url = sqs.create_queue(QueueName=resources.notifications_queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    topic_arn = clients["sns"].create_topic(Name=resources.topic_name)["TopicArn"]
    clients["sns"].subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    clients["ses"].verify_email_identity(EmailAddress=resources.sender)
    for channel in ("slack", "whatsapp", "webhook"):
        if channel not in resources.channels:
            continue
        arn = clients["events"].create_connection(
            Name=f"{resources.prefix}-{channel}",
            AuthorizationType="API_KEY",
            AuthParameters={
                "ApiKeyAuthParameters": {
                    "ApiKeyName": "Authorization",
                    "ApiKeyValue": f"Bearer {PLACEHOLDER_SECRET}",
                }
            },
        )["ConnectionArn"]
        resources.connection_arns[channel] = arn
    return deploy_state_machines(resources, clients, endpoint_url)


def build_definitions(resources: LocalResources, endpoint_url: str) -> dict[str, dict[str, Any]]:
    """The two definitions, from the builders in `workflows/` (imported here so the
    rest of the local mode works while a builder is missing)."""
    from workflows.indexing import build_indexing_definition
    from workflows.match import build_match_definition

    return {
        resources.match_state_machine: build_match_definition(
            resources.match_settings(endpoint_url)
        ),
        resources.indexing_state_machine: build_indexing_definition(
            resources.indexing_settings(endpoint_url)
        ),
    }


def deploy_state_machines(
    resources: LocalResources, clients: dict[str, Any], endpoint_url: str
) -> dict[str, Any]:
    definitions = build_definitions(resources, endpoint_url)
    iam = clients["iam"]
    iam.create_role(
        RoleName=resources.role_arn.rsplit("/", 1)[1],
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    for name, definition in definitions.items():
        clients["stepfunctions"].create_state_machine(
            name=name,
            definition=json.dumps(definition),
            roleArn=resources.role_arn,
            type="STANDARD",
        )
    return definitions
