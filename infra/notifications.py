"""Notifications: only the channels the configuration turns on.

SES sends from a verified sender identity; SNS publishes to a KMS-encrypted topic; Slack,
WhatsApp and the webhook are called by the workflow's HTTP Task through EventBridge
connections, which keep the tokens in Secrets Manager (read here with `require_secret`, so
they stay secret in the state and never reach code, logs or outputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from facewatch.config import EmailSettings, SnsSettings, WebhookSettings

# Header sent by a webhook connection that has no token: EventBridge connections always need
# an authorization, so an unauthenticated webhook gets a harmless identifying header.
ANONYMOUS_WEBHOOK_HEADER = "X-Facewatch-Source"


@dataclass(frozen=True)
class NotificationsArgs:
    key_arn: pulumi.Input[str]
    email: EmailSettings | None = None
    sns: SnsSettings | None = None
    # Channel name ("slack", "whatsapp", "webhook") -> its token, from require_secret.
    tokens: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    webhook: WebhookSettings | None = None


class Notifications(pulumi.ComponentResource):
    email_identity: aws.sesv2.EmailIdentity | None
    topic: aws.sns.Topic | None
    connections: dict[str, aws.cloudwatch.EventConnection]

    def __init__(
        self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("facewatch:infra:Notifications", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.email_identity = None
        if args.email is not None:
            # AWS sends a verification link to this address; until it is clicked (and, in the
            # SES sandbox, until each recipient is verified too) SendEmail is refused.
            self.email_identity = aws.sesv2.EmailIdentity(
                f"{name}-sender", email_identity=args.email.sender, opts=child
            )
        self.topic = None
        if args.sns is not None:
            self.topic = aws.sns.Topic(f"{name}-alerts", kms_master_key_id=args.key_arn, opts=child)
            for index, address in enumerate(args.sns.subscriptions):
                # Each address receives a confirmation mail; SNS delivers only once confirmed.
                aws.sns.TopicSubscription(
                    f"{name}-alerts-email-{index}",
                    topic=self.topic.arn,
                    protocol="email",
                    endpoint=address,
                    opts=pulumi.ResourceOptions(parent=self.topic),
                )
        self.connections = {}
        for channel, token in sorted(args.tokens.items()):
            self.connections[channel] = self._bearer_connection(name, channel, token, args.key_arn)
        if args.webhook is not None and "webhook" not in args.tokens:
            self.connections["webhook"] = aws.cloudwatch.EventConnection(
                f"{name}-webhook",
                description="facewatch webhook (no token configured)",
                kms_key_identifier=args.key_arn,
                authorization_type="API_KEY",
                auth_parameters={
                    "api_key": {"key": ANONYMOUS_WEBHOOK_HEADER, "value": "facewatch"}
                },
                opts=child,
            )
        self.register_outputs(
            {
                "topicArn": self.topic.arn if self.topic else None,
                "connections": {c: conn.arn for c, conn in self.connections.items()},
            }
        )

    def _bearer_connection(
        self, name: str, channel: str, token: pulumi.Output[str], key_arn: pulumi.Input[str]
    ) -> aws.cloudwatch.EventConnection:
        """Slack bot tokens, WhatsApp Cloud API tokens and webhook tokens all go in an
        `Authorization: Bearer <token>` header."""
        return aws.cloudwatch.EventConnection(
            f"{name}-{channel}",
            description=f"facewatch {channel} (token in Secrets Manager)",
            # The secret is encrypted with the stack key (tagged for EventBridge in
            # infra/storage.py), not an AWS owned key: key policy, rotation and CloudTrail
            # record of every decrypt stay with the account.
            kms_key_identifier=key_arn,
            authorization_type="API_KEY",
            auth_parameters={
                "api_key": {
                    "key": "Authorization",
                    # apply keeps the value secret: it is stored encrypted in the state.
                    "value": token.apply(lambda t: f"Bearer {t}"),
                }
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
