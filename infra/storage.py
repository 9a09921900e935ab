"""Storage: the stack's KMS key, the faces bucket and the audit bucket.

Bucket names come from Pulumi auto-naming (a stable name stored in the state), never
from values computed at run time, so a deploy never replaces a bucket by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import iam


@dataclass(frozen=True)
class StorageArgs:
    account_id: pulumi.Input[str]
    region: str
    partition: pulumi.Input[str]
    audit_retention_days: int
    audit_object_lock: bool
    force_destroy: bool


# EventBridge encrypts a connection's secret with a customer-managed key only when the key
# carries this tag: its service-linked role's policy (AmazonEventBridgeApiDestinationsService-
# RolePolicy) allows kms:Decrypt/Encrypt/GenerateDataKey through Secrets Manager on keys tagged
# so, and the key policy's first statement lets that IAM policy apply.
EVENTBRIDGE_CONNECTION_TAG = {"EventBridgeApiDestinations": "true"}

# What the account may delegate through IAM for this key: every KMS action that applies to a
# symmetric encryption key, named rather than `kms:*` (the project allows no `*` action).
# Administration keeps PutKeyPolicy, so the key can never be locked out; the asymmetric, HMAC,
# imported-material and custom-key-store actions are left out because this key has none.
ACCOUNT_KEY_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
# What the services that encrypt for us (logs, queue, topic) do with the key.
ENVELOPE_ENCRYPTION_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def _key_policy(account_id: str, region: str, partition: str) -> str:
    """The default key policy (IAM decides for principals of the account) plus the services
    that need the key policy itself: CloudWatch Logs for the encrypted log groups, EventBridge
    sending undeliverable events to the encrypted DLQ, CloudWatch alarms publishing to the
    encrypted alarm topic, and Secrets Manager reading the EventBridge connections' secrets."""
    return iam.document(
        [
            {
                # AWS's default key policy statement with its actions named: without it no
                # IAM policy could grant the key (a key policy must allow the account to
                # delegate), and if every key-policy principal were lost the key would be
                # unmanageable without AWS Support. Principals still need an IAM policy.
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": ACCOUNT_KEY_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                        )
                    }
                },
            },
            {
                "Sid": "EventBridgeDeadLettersToEncryptedQueue",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ENVELOPE_ENCRYPTION_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ENVELOPE_ENCRYPTION_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                # Step Functions documents secretsmanager:GetSecretValue on the connection's
                # secret as a permission of the state machine role: the HTTP Task reads it
                # with the role's credentials, so the decrypt is checked for the role. Like
                # AWS's own aws/secretsmanager key, this lets principals of this account
                # decrypt through Secrets Manager only, and here only the EventBridge
                # connections' secrets: who may read a secret is still decided by its
                # secretsmanager:GetSecretValue permission.
                "Sid": "ConnectionSecretsDecryptThroughSecretsManager",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account_id,
                        "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
                    },
                    "StringLike": {
                        "kms:EncryptionContext:SecretARN": (
                            f"arn:{partition}:secretsmanager:{region}:{account_id}:"
                            "secret:events!connection/*"
                        )
                    },
                },
            },
        ]
    )


def tls_only_policy(bucket_arn: str) -> str:
    return iam.document(
        [
            {
                # A Deny, not a grant: it must cover every S3 action, or a request over plain
                # HTTP could use one left out. The one `*` action in the stack's policies.
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    )


class Storage(pulumi.ComponentResource):
    key: aws.kms.Key
    faces_bucket: aws.s3.Bucket
    audit_bucket: aws.s3.Bucket

    def __init__(
        self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("facewatch:infra:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(
            f"{name}-key",
            description="facewatch: buckets, streams, tables, queues, topics and logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=EVENTBRIDGE_CONNECTION_TAG,
            policy=pulumi.Output.all(args.account_id, args.partition).apply(
                lambda v: _key_policy(v[0], args.region, v[1])
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/facewatch-{pulumi.get_stack()}",
            target_key_id=self.key.key_id,
            opts=child,
        )
        self.faces_bucket = self._bucket(f"{name}-faces", args, object_lock=False)
        # S3 -> EventBridge: the indexing workflow's rule matches Object Created / Deleted.
        aws.s3.BucketNotification(
            f"{name}-faces-notification",
            bucket=self.faces_bucket.id,
            eventbridge=True,
            opts=pulumi.ResourceOptions(parent=self.faces_bucket),
        )
        self.audit_bucket = self._bucket(f"{name}-audit", args, object_lock=args.audit_object_lock)
        self._audit_retention(name, args)
        self.register_outputs(
            {
                "keyArn": self.key.arn,
                "facesBucket": self.faces_bucket.bucket,
                "auditBucket": self.audit_bucket.bucket,
            }
        )

    def _bucket(self, name: str, args: StorageArgs, *, object_lock: bool) -> aws.s3.Bucket:
        bucket = aws.s3.Bucket(
            name,
            force_destroy=args.force_destroy,
            # Object Lock can only be turned on when the bucket is created.
            object_lock_enabled=object_lock or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=bucket)
        access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": self.key.arn,
                    },
                    # Bucket keys cut the KMS requests (and their cost) per object.
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(tls_only_policy),
            # S3 rejects a policy put while the access block is being changed.
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=[access_block]),
        )
        return bucket

    def _audit_retention(self, name: str, args: StorageArgs) -> None:
        child = pulumi.ResourceOptions(parent=self.audit_bucket)
        versioning = aws.s3.BucketVersioning(
            f"{name}-audit-versioning",
            bucket=self.audit_bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        days = args.audit_retention_days
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-audit-lifecycle",
            bucket=self.audit_bucket.id,
            rules=[
                {
                    "id": "audit-and-snapshot-retention",
                    "status": "Enabled",
                    "filter": {},
                    # Current objects (audit records and snapshots) expire after the
                    # retention period. Versioning is the audit trail's safeguard: a record
                    # overwritten or deleted (by mistake or not) stays recoverable as a
                    # non-current version for the same period (so an expired record is gone
                    # for good 2 x auditRetentionDays after it was written).
                    "expiration": {"days": days},
                    "noncurrent_version_expiration": {"noncurrent_days": days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                },
                {
                    "id": "remove-expired-delete-markers",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"expired_object_delete_marker": True},
                },
            ],
            opts=pulumi.ResourceOptions(parent=self.audit_bucket, depends_on=[versioning]),
        )
        if args.audit_object_lock:
            # GOVERNANCE, not COMPLIANCE: a privileged operator can still lift it, so a
            # mistaken retention period is not irreversible.
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-audit-object-lock",
                bucket=self.audit_bucket.id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": "GOVERNANCE", "days": days}},
                opts=pulumi.ResourceOptions(parent=self.audit_bucket, depends_on=[versioning]),
            )
