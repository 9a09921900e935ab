"""Storage: the stack's KMS key, the faces bucket and the audit bucket.

Bucket names come from Pulumi auto-naming (a stable name stored in the state), never
from values computed at run time, so a deploy never replaces a bucket by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import iam
from infra.key_policy import EVENTBRIDGE_CONNECTION_TAG, key_policy, stack_log_group_prefixes


@dataclass(frozen=True)
class StorageArgs:
    # Every name this stack gives (aliases, log groups) starts with it: facewatch-<stack>.
    prefix: str
    account_id: pulumi.Input[str]
    region: str
    partition: pulumi.Input[str]
    audit_retention_days: int
    audit_object_lock: bool
    force_destroy: bool


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
        # The log groups the key may encrypt: this stack's, named from the same prefix as
        # every component's (tests check each encrypted group matches).
        log_groups = stack_log_group_prefixes(args.prefix)
        self.key = aws.kms.Key(
            f"{name}-key",
            description="facewatch: buckets, streams, tables, queues, topics and logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=EVENTBRIDGE_CONNECTION_TAG,
            policy=pulumi.Output.all(args.account_id, args.partition).apply(
                lambda v: key_policy(v[0], args.region, v[1], log_groups)
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{args.prefix}",
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
