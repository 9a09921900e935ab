"""Slack's answer is checked whether the HTTP Task hands its JSON body over parsed or as text.

Slack answers HTTP 200 with ``{"ok": false, "error": ...}`` when it refuses a message. AWS does
not document whether the HTTP Task parses an ``application/json; charset=utf-8`` body; the
``slack_body`` fixture runs each test with the body parsed (what the local adapter does) and
with the same body handed over as its JSON text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from match_fixtures import (  # noqa: F401  (pytest fixtures)
    HttpEndpoint,
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    sighting,
)

from facewatch.local.bridge import http_task
from facewatch.workflows.settings import Channels


@pytest.fixture(params=["parsed", "text"])
def slack_body(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "text":
        parsed = http_task._task_output

        def as_text(status: int, headers: Mapping[str, str], data: bytes) -> dict[str, Any]:
            output = parsed(status, headers, data)
            output["ResponseBody"] = data.decode("utf-8")
            return output

        monkeypatch.setattr(http_task, "_task_output", as_text)
    yield request.param


@pytest.fixture
def slack_only(harness: MatchHarness) -> MatchHarness:
    h = harness.deploy(channels=Channels(slack=harness.settings.channels.slack))
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    return h


def _slack_outcome(h: MatchHarness) -> str:
    [audit] = h.audit_objects().values()
    [channel] = audit["channels"]
    assert channel["Channel"] == "slack"
    return str(channel["Outcome"])


def test_ok_true_is_delivered(
    slack_only: MatchHarness, http_endpoint: HttpEndpoint, slack_body: str
) -> None:
    # given Slack accepting the message
    http_endpoint.answer("/slack", (200, {"ok": True, "channel": "C0FACE", "ts": "1.2"}))
    # when Lin is seen
    result = slack_only.run([sighting("front-door", "people_lin.png")])
    # then the channel is delivered and nothing goes to the dead-letter queue
    assert result["status"] == "SUCCEEDED", slack_only.explain(result)
    assert _slack_outcome(slack_only) == "delivered"
    assert slack_only.dead_letters() == []


def test_ok_false_is_a_failed_channel_with_slacks_error(
    slack_only: MatchHarness, http_endpoint: HttpEndpoint, slack_body: str
) -> None:
    # given Slack refusing the message the way it does: HTTP 200, ok false
    http_endpoint.answer("/slack", (200, {"ok": False, "error": "channel_not_found"}))
    # when Lin is seen
    result = slack_only.run([sighting("front-door", "people_lin.png")])
    # then the channel failed, and the dead letter says why
    assert result["status"] == "SUCCEEDED", slack_only.explain(result)
    assert _slack_outcome(slack_only) == "failed"
    [letter] = slack_only.dead_letters()
    assert letter["error"]["Error"] == "Slack.NotOk"
    assert "channel_not_found" in letter["error"]["Cause"]


def test_a_body_that_is_not_json_is_not_delivered(
    slack_only: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given an endpoint answering 200 with plain text (not Slack's Web API)
    http_endpoint.answer("/slack", (200, "ok", "text/plain; charset=utf-8"))
    result = slack_only.run([sighting("front-door", "people_lin.png")])
    # then the message is not counted as delivered, and the execution still succeeds
    assert result["status"] == "SUCCEEDED", slack_only.explain(result)
    assert _slack_outcome(slack_only) == "failed"
    [letter] = slack_only.dead_letters()
    assert letter["error"]["Error"] == "Slack.NotOk"
