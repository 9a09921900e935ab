"""The stack's resources, created on the local endpoint from the same settings.

`LocalResources` names what the stack creates (buckets, tables, data stream, DLQ,
SNS topic, SES identity, EventBridge connections, the two state machines); its
`match_settings()` / `indexing_settings()` are the very `workflows.settings` objects
the stack builds its definitions from, so `workflows.match.build_match_definition`
and `workflows.indexing.build_indexing_definition` produce the same ASL here as in
`infra/`. Nothing in a definition is rewritten: the local mode only chooses names.

The defaults below are the local mode's own example (every channel, placeholder addresses);
`stack_config.resources_from_config` fills the same fields from a stack's configuration
(`facewatch local up --config Pulumi.dev.yaml`), validated by `facewatch.config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from facewatch.workflows.settings import (
    DEFAULT_DEDUPE_WINDOW_SECONDS,
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
    # The stack config model's defaults (facewatch/config/model.py).
    # On the local engine's scale: what its stream processors apply (see
    # facewatch.engine.embedding.LOCAL_MODE_THRESHOLD for a stack file's threshold).
    face_match_threshold: float = 80.0
    # A stack file's faceMatchThreshold (Rekognition's scale), reported beside the one applied.
    configured_face_match_threshold: float | None = None
    dedupe_window_seconds: int = DEFAULT_DEDUPE_WINDOW_SECONDS
    unknown_face_alerts: bool = False
    collection: str = ""  # the collection id; "" = the prefix
    channels: tuple[str, ...] = ("email", "sns", "slack", "whatsapp", "webhook")
    sender: str = "facewatch@example.com"
    recipients: tuple[str, ...] = ("security@example.com",)
    slack_channel: str = "#facewatch"
    whatsapp_phone_number_id: str = "100000000000000"
    whatsapp_recipient: str = "15550000000"
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

    def video_stream_arn(self, camera: str) -> str:
        """The Kinesis video stream ARN the stack would give this camera's stream."""
        return self._arn("kinesisvideo", f"stream/{camera}/local")

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
        return self.collection or self.prefix

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
    def object_key_function(self) -> str:
        return f"{self.prefix}-object-key"

    @property
    def object_key_function_arn(self) -> str:
        return self._arn("lambda", f"function:{self.object_key_function}")

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

    def queue_url(self, endpoint_url: str, name: str) -> str:
        return f"{endpoint_url}/{LOCAL_ACCOUNT}/{name}"

    def channels_settings(self, endpoint_url: str) -> Channels:
        wanted = set(self.channels)
        return Channels(
            email=EmailChannel(self.sender, self.recipients) if "email" in wanted else None,
            sns=SnsChannel(self.topic_arn) if "sns" in wanted else None,
            slack=SlackChannel(self.connection_arn("slack"), channel=self.slack_channel)
            if "slack" in wanted
            else None,
            whatsapp=WhatsAppChannel(
                self.connection_arn("whatsapp"),
                phone_number_id=self.whatsapp_phone_number_id,
                recipient=self.whatsapp_recipient,
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
            registry_table=self.registry_table,
            dedupe_table=self.dedupe_table,
            faces_bucket=self.faces_bucket,
            audit_bucket=self.audit_bucket,
            dead_letter_queue_url=self.queue_url(endpoint_url, self.dead_letter_queue),
            snapshot_function_arn=self.snapshot_function_arn,
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
            object_key_function_arn=self.object_key_function_arn,
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
            "faceMatchThreshold": self.face_match_threshold,
            "configuredFaceMatchThreshold": self.configured_face_match_threshold,
            "dedupeWindowSeconds": self.dedupe_window_seconds,
            "unknownFaceAlerts": self.unknown_face_alerts,
            "channels": list(self.channels),
        }
