"""The stack key's policy: who may use the one customer-managed key, and only as AWS documents.

The account statement lets IAM decide for the account's own principals: the roles of this
stack get `kms:ViaService`-limited grants in their own policies, including the state machine
roles' decrypt of the connection secrets (`infra.workflow_role.connection_secrets_decrypt`), so no
statement here has Principal "*". Every other statement is needed because the principal is an
AWS service, and each is limited by the condition keys the service's documentation gives.
"""

from __future__ import annotations

from collections.abc import Sequence

from infra import iam

# EventBridge encrypts a connection's secret with a customer-managed key only when the key
# carries this tag (EventBridge User Guide, encryption-connections: "For EventBridge to use a
# customer managed key, you must add a resource tag to the key with a key of
# EventBridgeApiDestinations and a value of true"). Its service-linked role's policy
# (AmazonEventBridgeApiDestinationsServiceRolePolicy) allows kms:Decrypt/Encrypt/
# GenerateDataKey through Secrets Manager, on connection secrets, on keys tagged so; the
# account statement below is what lets that IAM policy apply. That page's example key policy
# is the account statement alone: EventBridge needs no statement of its own.
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
# CloudWatch Logs' documented key-policy actions (Encrypt*, Decrypt*, ReEncrypt*,
# GenerateDataKey*, Describe*), named.
LOGS_KEY_ACTIONS = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
]
# What the services that deliver into our encrypted queue and topic do with the key.
ENVELOPE_ENCRYPTION_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def stack_log_group_prefixes(prefix: str) -> list[str]:
    """Where this stack's encrypted log groups live: its Lambdas' groups and the vended-logs
    groups of its state machines and pipe, all named `<path>/<prefix>-...`."""
    paths = ("/aws/lambda", "/aws/vendedlogs/states", "/aws/vendedlogs/pipes")
    return [f"{path}/{prefix}-" for path in paths]


def service_envelope_encryption(
    sid: str, service: str, account_id: str | None = None
) -> iam.Statement:
    """An AWS service delivering into our encrypted queue or topic (for this account only
    when `account_id` is given: an aws:SourceAccount condition)."""
    statement: iam.Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ENVELOPE_ENCRYPTION_ACTIONS,
        "Resource": "*",
    }
    if account_id is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account_id}}
    return statement


def key_policy_statements(
    account_id: str, region: str, partition: str, log_group_prefixes: Sequence[str]
) -> list[iam.Statement]:
    log_groups = f"arn:{partition}:logs:{region}:{account_id}:log-group:"
    return [
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
            # CloudWatch Logs User Guide, encrypt-log-data-kms: the logs service principal,
            # limited by kms:EncryptionContext:aws:logs:arn. The documented example names one
            # log group (ArnEquals); here ArnLike names only this stack's groups, so the
            # key cannot encrypt another stack's or anyone's log group in the account.
            "Sid": "CloudWatchLogsEncryptsLogGroups",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": LOGS_KEY_ACTIONS,
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": [
                        f"{log_groups}{group}*" for group in log_group_prefixes
                    ]
                }
            },
        },
        # EventBridge (not a role) sends a rule's undeliverable events to the encrypted DLQ.
        # No aws:SourceAccount / aws:SourceArn condition: AWS documents that source
        # conditions in a KMS key policy are not supported for EventBridge delivering to an
        # encrypted SNS topic (SNS Developer Guide, sns-key-management), and the same refusal
        # is reported for encrypted queues: with one, every dead letter of the faces rule would
        # fail (InvocationsFailedToBeSentToDlq, alarmed in observability.py). What scopes the
        # grant: the principal is the EventBridge service, the actions are envelope encryption
        # only, and the key encrypts nothing but this stack's resources.
        service_envelope_encryption(
            "EventBridgeDeadLettersToEncryptedQueue", "events.amazonaws.com"
        ),
        # CloudWatch alarms publish to the encrypted alarm topic as the service principal (SNS
        # Developer Guide, sns-key-management: event sources from AWS services need
        # kms:GenerateDataKey*/kms:Decrypt in the key policy).
        service_envelope_encryption(
            "CloudWatchAlarmsPublishToEncryptedTopic", "cloudwatch.amazonaws.com", account_id
        ),
    ]


def key_policy(
    account_id: str, region: str, partition: str, log_group_prefixes: Sequence[str]
) -> str:
    return iam.document(key_policy_statements(account_id, region, partition, log_group_prefixes))
