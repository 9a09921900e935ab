"""parliament (duo-labs) over every policy the program creates, for the test configurations.

A finding of severity MEDIUM or above fails, unless it is listed in EXCEPTIONS with the
reason it is accepted. An exception names who (a policy kind, "trust", or the resource holding
the policy), the parliament issue, and a text its detail must contain.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import parliament
from infra_policies import Policy, policies
from stack_configs import POLICY_CONFIGS
from stack_harness import StackRun

FAILING = {"MEDIUM", "HIGH", "CRITICAL"}
# (who, issue, detail contains) -> why the finding is accepted.
EXCEPTIONS: dict[tuple[str, str, str], str] = {
    ("trust", "MALFORMED", "neither Resource nor NotResource"): (
        "A role trust policy has no Resource element (IAM rejects one); parliament reads every "
        "document as an identity policy."
    ),
    ("storage-key", "UNKNOWN_CONDITION_FOR_ACTION", "kms:EncryptionContext:aws:logs:arn"): (
        "The condition AWS documents for letting CloudWatch Logs use a key only for this "
        "stack's log groups; parliament's IAM data only knows kms:EncryptionContext:${Key}."
    ),
    ("storage-key", "MISMATCHED_TYPE", "ArnLike requires a value of type Arn"): (
        "Same statement: the encryption context values are ARN patterns "
        "(arn:aws:logs:REGION:ACCOUNT:log-group:/aws/lambda/facewatch-STACK-*, ...) compared "
        "with ArnLike, as AWS documents."
    ),
    ("workflow-match-role-policy", "RESOURCE_MISMATCH", "states:InvokeHTTPEndpoint"): (
        "HTTP Task permission scoped to the state machine ARN, as the Step Functions docs "
        "require; parliament's data predates InvokeHTTPEndpoint's resource type."
    ),
    ("workflow-match-role-policy", "UNKNOWN_CONDITION_FOR_ACTION", "states:HTTP"): (
        "states:HTTPEndpoint / states:HTTPMethod limit the HTTP Task to the channel URLs; "
        "documented condition keys unknown to parliament's (2023) IAM data."
    ),
}


def excepted(policy: Policy, finding: object) -> bool:
    detail = str(getattr(finding, "detail", ""))
    return any(
        who in (policy.kind, policy.source.name) and issue == finding.issue and text in detail  # type: ignore[attr-defined]
        for who, issue, text in EXCEPTIONS
    )


def test_no_policy_has_an_unexplained_finding_of_medium_or_above(policy_run: StackRun) -> None:
    unexplained = []
    checked = 0
    for policy in policies(policy_run):
        analyzed = parliament.analyze_policy_string(json.dumps(policy.document))
        checked += 1
        for finding in analyzed.findings:
            parliament.enhance_finding(finding)
            if finding.severity not in FAILING:
                continue
            if excepted(policy, finding):
                continue
            unexplained.append(
                (policy.source.name, finding.issue, finding.severity, finding.detail)
            )

    assert checked >= 10
    assert unexplained == []


def test_every_exception_still_matches_a_finding(stack: Callable[..., StackRun]) -> None:
    """A stale exception would hide a future regression: each must be needed."""
    used = set()
    for values, secrets, region in POLICY_CONFIGS.values():
        for policy in policies(stack(values, secrets, region=region)):
            for finding in parliament.analyze_policy_string(json.dumps(policy.document)).findings:
                detail = str(finding.detail)
                for who, issue, text in EXCEPTIONS:
                    if (
                        who in (policy.kind, policy.source.name)
                        and issue == finding.issue
                        and (text in detail)
                    ):
                        used.add((who, issue, text))

    assert used == set(EXCEPTIONS)
