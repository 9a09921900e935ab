"""Every IAM/resource policy a stack run declares, with where it came from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from stack_harness import Declared, StackRun

POLICY_INPUTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:kms/key:Key": "policy",
}
IDENTITY_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")


@dataclass
class Policy:
    source: Declared
    kind: str  # "identity", "trust" or "resource"
    document: dict[str, Any]

    @property
    def statements(self) -> list[dict[str, Any]]:
        return list(self.document["Statement"])


def policies(run: StackRun) -> list[Policy]:
    found: list[Policy] = []
    for declared in run.resources:
        key = POLICY_INPUTS.get(declared.type)
        if key is None or key not in declared.inputs:
            continue
        raw = declared.inputs[key]
        document = json.loads(raw) if isinstance(raw, str) else raw
        if declared.type in IDENTITY_TYPES:
            kind = "identity"
        elif declared.type == "aws:iam/role:Role":
            kind = "trust"
        else:
            kind = "resource"
        found.append(Policy(declared, kind, document))
    return found


def role_policy(run: StackRun, role_name: str) -> list[dict[str, Any]]:
    """The statements of the inline policy `<role>-policy`."""
    return json.loads(run.named(f"{role_name}-policy").inputs["policy"])["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
