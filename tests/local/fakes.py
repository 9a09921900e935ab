"""Test doubles and moto setup shared by the local adapters' tests (the Pipe and the
S3 -> EventBridge bridge)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

ACCOUNT = "123456789012"  # moto's default account


@contextmanager
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto, executing state machines, with test credentials and no endpoint override."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def pass_state_machine(sfn: Any, name: str) -> str:
    """A one-Pass-state machine standing in for a workflow; its ARN."""
    return str(
        sfn.create_state_machine(
            name=name,
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        )["stateMachineArn"]
    )


class RefusingStepFunctions:
    """Step Functions whose StartExecution fails `failures` times (with `code`) before it works."""

    def __init__(self, sfn: Any, failures: int, code: str = "ThrottlingException") -> None:
        self.sfn, self.failures, self.code, self.calls = sfn, failures, code, 0

    def start_execution(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            error = {"Error": {"Code": self.code, "Message": "try later"}}
            raise ClientError(error, "StartExecution")
        return self.sfn.start_execution(**kwargs)
