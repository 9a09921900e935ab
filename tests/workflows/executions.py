"""Waiting for a Step Functions execution to end under moto (test helper)."""

from __future__ import annotations

import time
from typing import Any


def wait_for_end(sfn: Any, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING; fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return dict(described)
        if time.monotonic() > deadline:
            raise AssertionError(f"{execution_arn} still RUNNING after {timeout}s")
        time.sleep(0.05)
