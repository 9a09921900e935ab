"""IAM helpers shared by the components: policy documents and service-role trust.

Every document is built from dicts with `json.dumps` (inside `Output.apply` when it holds
ARNs that are not known yet), never from string templates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

Statement = dict[str, Any]


def document(statements: Sequence[Statement]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust(
    service: str, *, account_id: str, source_arn: str | None = None, arn_like: bool = False
) -> str:
    """Trust for an AWS service principal, limited to this account (and a source ARN).

    The aws:SourceAccount / aws:SourceArn conditions stop another account's resource from
    making the service act with this role (the confused-deputy problem).
    """
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn is not None:
        condition["ArnLike" if arn_like else "ArnEquals"] = {"aws:SourceArn": source_arn}
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ]
    )


def kms_via(
    sid: str, key_arn: str, actions: Sequence[str], services: Sequence[str], region: str
) -> Statement:
    """Use of the stack key only through the named services (kms:ViaService).

    The services encrypt with the customer-managed key on the caller's behalf, so the caller
    needs these KMS actions; the condition stops direct use of the key for anything else.
    """
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": [key_arn],
        "Condition": {
            "StringEquals": {"kms:ViaService": [f"{s}.{region}.amazonaws.com" for s in services]}
        },
    }


def write_logs(sid: str, log_group_arn: str) -> Statement:
    """Write log streams (`:*`) into one log group."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"{log_group_arn}:*"],
    }


def role(
    name: str,
    *,
    trust: pulumi.Input[str],
    statements: pulumi.Output[list[Statement]],
    parent: pulumi.Resource,
    description: str,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """A role with one inline policy (an `aws.iam.RolePolicy` named `<name>-policy`)."""
    created = aws.iam.Role(
        name,
        assume_role_policy=trust,
        description=description,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    policy = aws.iam.RolePolicy(
        f"{name}-policy",
        role=created.id,
        policy=statements.apply(document),
        opts=pulumi.ResourceOptions(parent=created),
    )
    return created, policy
