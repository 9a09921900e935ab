"""Settings the workflow builders take.

Plain frozen dataclasses so that `infra/` (inside `Output.apply`), the local
mode and the tests build the very same definition from the same values.
Resources are passed by *name* (what the ASL Parameters need); ARNs for IAM
are derived from names plus `AwsEnvironment` in `workflows.permissions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AnalysisMode = Literal["stream-processor", "edge"]

# How long after a notification the same person on the same camera is suppressed (the
# dedupeWindowSeconds default of the stack, the local mode and the CLI).
DEFAULT_DEDUPE_WINDOW_SECONDS = 300
SLACK_POST_MESSAGE_URL = "https://slack.com/api/chat.postMessage"
WHATSAPP_GRAPH_URL = "https://graph.facebook.com"


@dataclass(frozen=True)
class AwsEnvironment:
    """Where the definition runs: used to turn resource names into ARNs."""

    region: str
    account_id: str
    partition: str = "aws"


@dataclass(frozen=True)
class EmailChannel:
    """SESv2 SendEmail from a verified identity to one or more recipients."""

    sender: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class SnsChannel:
    topic_arn: str


@dataclass(frozen=True)
class SlackChannel:
    """Slack chat.postMessage through the HTTP Task; the bot token lives in the connection."""

    connection_arn: str
    channel: str
    url: str = SLACK_POST_MESSAGE_URL


@dataclass(frozen=True)
class WhatsAppChannel:
    """WhatsApp Cloud API `messages` through the HTTP Task; the token lives in the connection."""

    connection_arn: str
    phone_number_id: str
    recipient: str
    api_version: str = "v21.0"
    base_url: str = WHATSAPP_GRAPH_URL


@dataclass(frozen=True)
class WebhookChannel:
    """A generic JSON POST through the HTTP Task; any auth lives in the connection."""

    connection_arn: str
    url: str


@dataclass(frozen=True)
class Channels:
    """Only the channels that are set get a branch in the match workflow."""

    email: EmailChannel | None = None
    sns: SnsChannel | None = None
    slack: SlackChannel | None = None
    whatsapp: WhatsAppChannel | None = None
    webhook: WebhookChannel | None = None


@dataclass(frozen=True)
class MatchWorkflowSettings:
    env: AwsEnvironment
    registry_table: str
    dedupe_table: str
    faces_bucket: str
    audit_bucket: str
    dead_letter_queue_url: str
    snapshot_function_arn: str
    channels: Channels = field(default_factory=Channels)
    dedupe_window_seconds: int = DEFAULT_DEDUPE_WINDOW_SECONDS
    unknown_face_alerts: bool = False
    # Channel retries on throttling/5xx: first wait, then doubled, at most this many retries.
    channel_retry_interval_seconds: int = 2
    channel_retry_max_attempts: int = 3


@dataclass(frozen=True)
class IndexingWorkflowSettings:
    env: AwsEnvironment
    collection_id: str
    faces_bucket: str
    registry_table: str
    audit_bucket: str
    dead_letter_queue_url: str
    # Decodes a URL-encoded object key (handlers/object_key.py): called only when the key as
    # the event gave it names no object, and it holds '%' or '+' (see workflows.indexing).
    object_key_function_arn: str
