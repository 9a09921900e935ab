"""Slack's ``text`` (mrkdwn, shown in notifications) never renders markup from a person's name.

Names are any Unicode text (`facewatch faces add` stores what S3 tags cannot hold), so a name
may hold ``& < >``: Slack reads ``<!channel>`` or ``<https://...|x>`` in ``text`` as a
mention or a link. The snapshot Lambda escapes the name for Slack; when it failed, a name with
those characters is left out of ``text`` (the plain_text block still shows it as it is).
"""

from __future__ import annotations

from typing import Any

import pytest
from match_fixtures import (  # noqa: F401  (pytest fixtures)
    SNAPSHOT_FUNCTION,
    HttpEndpoint,
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    sighting,
)

from facewatch.local.bridge import lambda_task
from facewatch.workflows.settings import Channels

MARKUP_NAME = "Ben & Jerry <!channel>"


def _crashing_snapshot(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("snapshot Lambda down")


@pytest.fixture
def slack_only(harness: MatchHarness) -> MatchHarness:
    return harness.deploy(channels=Channels(slack=harness.settings.channels.slack))


def _slack_body(endpoint: HttpEndpoint) -> dict[str, Any]:
    [request] = endpoint.requests_to("/slack")
    body: dict[str, Any] = request["body"]
    return body


def test_name_with_markup_is_escaped_in_slack_text(
    slack_only: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given a person whose name holds Slack control characters
    slack_only.enrol("people/bj.png", MARKUP_NAME, "people_bj.png")
    # when they are seen
    result = slack_only.run([sighting("front-door", "people_bj.png")])
    # then the text carries the escaped name, the plain_text block the name as it is
    assert result["status"] == "SUCCEEDED", slack_only.explain(result)
    body = _slack_body(http_endpoint)
    assert body["text"].startswith("Ben &amp; Jerry &lt;!channel&gt; was seen on camera front-door")
    assert "<!channel>" not in body["text"]
    assert body["blocks"][0]["text"]["text"].startswith(f"{MARKUP_NAME} was seen")


def test_name_with_markup_is_left_out_of_slack_text_without_the_snapshot_lambda(
    slack_only: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given the same name, and a snapshot Lambda that fails (so no escaped name)
    slack_only.enrol("people/bj.png", MARKUP_NAME, "people_bj.png")
    with lambda_task.install({SNAPSHOT_FUNCTION: _crashing_snapshot}):
        result = slack_only.run([sighting("front-door", "people_bj.png")])
    # then the text names nobody, and the block still shows the name
    assert result["status"] == "SUCCEEDED", slack_only.explain(result)
    body = _slack_body(http_endpoint)
    assert body["text"].startswith("A known face was seen on camera front-door (")
    assert "Jerry" not in body["text"]
    assert body["blocks"][0]["text"]["text"].startswith(f"{MARKUP_NAME} was seen")


def test_plain_name_stays_in_slack_text_without_the_snapshot_lambda(
    slack_only: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    slack_only.enrol("people/conan.png", "Conan O'Brien", "people_conan.png")
    with lambda_task.install({SNAPSHOT_FUNCTION: _crashing_snapshot}):
        result = slack_only.run([sighting("front-door", "people_conan.png")])
    assert result["status"] == "SUCCEEDED", slack_only.explain(result)
    assert _slack_body(http_endpoint)["text"].startswith("Conan O'Brien was seen on camera")


def test_apostrophe_name_reaches_email_and_webhook_intact(
    harness: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given a name S3 tags cannot hold (the apostrophe), stored at enrolment
    channels = harness.settings.channels
    h = harness.deploy(channels=Channels(email=channels.email, webhook=channels.webhook))
    h.enrol("people/conan.png", "Conan O'Brien", "people_conan.png")
    # when he is seen
    result = h.run([sighting("front-door", "people_conan.png")])
    # then the webhook's JSON has the name as it is, and the email's HTML has it escaped
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [hook] = http_endpoint.requests_to("/hook")
    assert hook["body"]["person"] == "Conan O'Brien"
    [email] = h.emails()
    assert "Conan O&#x27;Brien was seen" in email.body
