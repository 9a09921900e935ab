"""What a state machine role holds beyond its definition's tasks: vended log delivery, X-Ray
and the stack key (through the services the tasks use, and for the connection secrets the HTTP
Tasks read). The definition's own statements come from `workflows.permissions`."""

from __future__ import annotations

from collections.abc import Sequence

from infra import iam

# Step Functions vended log delivery: these actions accept only Resource "*" (AWS docs,
# "IAM policies for logging to CloudWatch Logs").
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
]
XRAY_ACTIONS = [
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
]


def infra_statements(
    key_arn: str, region: str, definition_statements: Sequence[iam.Statement]
) -> list[iam.Statement]:
    """Statements a state machine role needs beyond its definition's tasks.

    ``definition_statements`` are the role's statements derived from its definition: the
    connection secrets its HTTP Tasks read (if any) are taken from them.
    """
    return [
        {
            # Log delivery and X-Ray have no resource-level permissions: "*" is required.
            "Sid": "InfraVendedLogDelivery",
            "Effect": "Allow",
            "Action": LOG_DELIVERY_ACTIONS,
            "Resource": ["*"],
        },
        {"Sid": "InfraXRayTracing", "Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": ["*"]},
        # The buckets, tables, queue and topic the tasks use are encrypted with the stack key,
        # and those services use it on the caller's behalf (DynamoDB checks the caller's right
        # to the table's customer-managed key too).
        iam.kms_via(
            "InfraStackKeyViaServices",
            key_arn,
            ["kms:Decrypt", "kms:GenerateDataKey"],
            ["dynamodb", "s3", "sns", "sqs"],
            region,
        ),
        *connection_secrets_decrypt(key_arn, region, definition_statements),
    ]


def connection_secrets_decrypt(
    key_arn: str, region: str, definition_statements: Sequence[iam.Statement]
) -> list[iam.Statement]:
    """kms:Decrypt of the stack key for the connection secrets the HTTP Tasks read.

    The EventBridge connections keep their tokens in Secrets Manager secrets encrypted with
    the stack key (infra/notifications.py). An HTTP Task reads its connection's secret with
    the execution role (Step Functions documents secretsmanager:GetSecretValue as a role
    permission), and Secrets Manager decrypts it on the caller's behalf, so the role needs
    kms:Decrypt (Secrets Manager User Guide, security-encryption: "in an IAM policy or key
    policy"). Granted here, on the role, rather than to Principal "*" in the key policy: the
    key is created before the roles and could not name them. Limited to Secrets Manager and,
    by the encryption context Secrets Manager sends (SecretARN), to exactly the secrets the
    definition's GetSecretValue statements name.
    """
    secrets = sorted(
        {
            resource
            for statement in definition_statements
            if "secretsmanager:GetSecretValue" in statement["Action"]
            for resource in statement["Resource"]
        }
    )
    if not secrets:
        return []
    return [
        {
            "Sid": "InfraConnectionSecretsDecrypt",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [key_arn],
            "Condition": {
                "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"},
                # The secret ARNs end in "/*" (the id AWS appends to the secret's name).
                "StringLike": {"kms:EncryptionContext:SecretARN": secrets},
            },
        }
    ]


def with_infra_statements(
    definition_statements: list[iam.Statement], key_arn: str, region: str
) -> list[iam.Statement]:
    """A state machine role's whole policy: its definition's statements, then the infra ones."""
    return [
        *definition_statements,
        *infra_statements(key_arn, region, definition_statements),
    ]
