"""Delivery as the stack's managed services do it: bounded retries, then the dead-letter queue.

The Pipe (`pipe.py`) and the S3 -> EventBridge adapter (`s3_events.py`) both start a state
machine; when StartExecution keeps failing, AWS retries (Pipes: `MaximumRetryAttempts`;
EventBridge: the rule target's retry policy) and then sends the undelivered work to the
stack's DLQ. Here tenacity runs the retry schedule and `DeadLetters` sends the message to
the local DLQ, so nothing is dropped silently. With no queue configured (unit tests of a
single adapter) the message is logged at ERROR instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import Retrying, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base

log = logging.getLogger("facewatch.local.delivery")

T = TypeVar("T")
# Backoff between attempts: 0.2 s doubling, capped at 5 s (AWS does not document its
# schedule; only the number of attempts is configurable, and that one is kept).
DEFAULT_WAIT: wait_base = wait_exponential_jitter(initial=0.2, max=5.0)


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int,
    wait: wait_base = DEFAULT_WAIT,
    sleep: Callable[[float], None] | None = None,
    what: str,
) -> T:
    """`call()` up to `attempts` times; the last exception propagates."""

    def before_sleep(state: Any) -> None:
        log.warning(
            "event=%s.retry attempt=%d error=%s",
            what,
            state.attempt_number,
            state.outcome.exception() if state.outcome else "?",
        )

    kwargs: dict[str, Any] = {}
    if sleep is not None:
        kwargs["sleep"] = sleep
    retrying = Retrying(
        stop=stop_after_attempt(max(1, attempts)),
        wait=wait,
        reraise=True,
        before_sleep=before_sleep,
        **kwargs,
    )
    return retrying(call)


class DeadLetters:
    """Sends undeliverable work to the local DLQ (an SQS queue on the local endpoint)."""

    def __init__(self, sqs: Any = None, queue_url: str | None = None) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.sent = 0

    def send(self, body: dict[str, Any], attributes: dict[str, str] | None = None) -> None:
        text = json.dumps(body, default=str)
        if self.sqs is None or not self.queue_url:
            log.error("event=dlq.unavailable message=%s", text)
            return
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=text,
            MessageAttributes={
                key: {"DataType": "String", "StringValue": value}
                for key, value in (attributes or {}).items()
            },
        )
        self.sent += 1
