"""Match workflow snapshots: a failing snapshot Lambda degrades to messages without image;
an available snapshot is shown by every channel that can show one.

Both scenarios use an edge record whose crop the agent uploaded, so the real snapshot
handler would produce a link: without one, the failure case proves nothing.
"""

from __future__ import annotations

import copy
import html
import json
from typing import Any

import pytest
from match_fixtures import (  # noqa: F401  (pytest fixtures)
    EVENTS,
    SNAPSHOT_FUNCTION,
    HttpEndpoint,
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    kinesis_record,
)

from facewatch.local.bridge import lambda_task
from facewatch.workflows.records import SNAPSHOT_FIELD
from facewatch.workflows.settings import Channels

EDGE_RECORD = json.loads((EVENTS / "edge_agent_record.json").read_text())
NAME = "Lin-Manuel Miranda"
SIMILARITY = EDGE_RECORD["FaceSearchResponse"][0]["MatchedFaces"][0]["Similarity"]
assert SIMILARITY == 97.312  # the texts say it with one decimal:
SIMILARITY_TEXT = "similarity 97.3%"
FAILURE_MESSAGE = "GetImages endpoint exploded"


class SnapshotCrash(RuntimeError):
    pass


def _crashing_snapshot(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise SnapshotCrash(FAILURE_MESSAGE)


def _edge_email_sns_webhook(h: MatchHarness) -> tuple[MatchHarness, dict[str, Any]]:
    """Edge mode with email, SNS and the webhook; Lin enrolled; his crop uploaded."""
    channels = h.settings.channels
    h = h.deploy(
        channels=Channels(email=channels.email, sns=channels.sns, webhook=channels.webhook),
    )
    record = copy.deepcopy(EDGE_RECORD)
    snapshot = record[SNAPSHOT_FIELD]
    h.clients["s3"].put_object(
        Bucket=snapshot["Bucket"], Key=snapshot["FaceKeys"][0], Body=b"\xff\xd8jpeg"
    )
    h.enrol("people/lin-manuel-miranda.png", NAME, "people_lin-manuel-miranda.png")
    return h, record


def _text_part(h: MatchHarness, execution_arn: str) -> str:
    [request] = h.scheduled_parameters(execution_arn, "sendEmail")
    return str(request["Content"]["Simple"]["Body"]["Text"]["Data"])


@pytest.fixture
def crashed(harness: MatchHarness) -> tuple[MatchHarness, dict[str, Any]]:
    """The scenario run with a snapshot Lambda that raises (an unhandled function error)."""
    h, record = _edge_email_sns_webhook(harness)
    with lambda_task.install({SNAPSHOT_FUNCTION: _crashing_snapshot}):
        described = h.run([kinesis_record(record)])
    return h, described


@pytest.fixture
def snapped(harness: MatchHarness) -> tuple[MatchHarness, dict[str, Any]]:
    """The scenario run with the real snapshot Lambda."""
    h, record = _edge_email_sns_webhook(harness)
    return h, h.run([kinesis_record(record)])


# ---------------------------------------------------------------- the Lambda raises


def test_snapshot_crash_still_succeeds_and_delivers_every_channel(
    crashed: tuple[MatchHarness, dict[str, Any]], http_endpoint: HttpEndpoint
) -> None:
    # given a snapshot Lambda that raises, when Lin is seen
    h, described = crashed
    # then the execution succeeds and every channel delivered
    assert described["status"] == "SUCCEEDED", h.explain(described)
    [audit] = h.audit_objects().values()
    assert {c["Channel"]: c["Outcome"] for c in audit["channels"]} == {
        "email": "delivered",
        "sns": "delivered",
        "webhook": "delivered",
    }
    assert len(h.emails()) == 1 and len(http_endpoint.requests_to("/hook")) == 1
    assert h.dead_letters() == []


def test_snapshot_crash_sends_messages_without_image(
    crashed: tuple[MatchHarness, dict[str, Any]], http_endpoint: HttpEndpoint
) -> None:
    # given a snapshot Lambda that raises, when Lin is seen
    h, described = crashed
    # then SNS, the email and the webhook name him, with no link and no image
    [message] = h.sns_messages()
    assert message == f"{NAME} was seen on camera front-door ({SIMILARITY_TEXT})."
    assert _text_part(h, described["executionArn"]) == message
    [email] = h.emails()
    assert "Snapshot" not in email.body and "http" not in email.body and "<img" not in email.body
    [hook] = http_endpoint.requests_to("/hook")
    assert hook["body"]["person"] == NAME
    assert hook["body"]["snapshotUrl"] is None


def test_snapshot_crash_is_recorded_as_unavailable_in_the_audit(
    crashed: tuple[MatchHarness, dict[str, Any]],
) -> None:
    # given a snapshot Lambda that raises, when Lin is seen
    h, _ = crashed
    # then the audit record says the snapshot was unavailable, and why
    [audit] = h.audit_objects().values()
    assert audit["outcome"] == "notified"
    assert audit["snapshot"]["available"] is False
    assert audit["snapshot"]["url"] is None
    assert "SnapshotCrash" in audit["snapshot"]["error"]
    assert FAILURE_MESSAGE in audit["snapshot"]["error"]


# ---------------------------------------------------------------- the snapshot is available


def test_available_snapshot_is_an_img_in_the_email_html(
    snapped: tuple[MatchHarness, dict[str, Any]],
) -> None:
    # given the agent's crop uploaded, when Lin is seen
    h, described = snapped
    assert described["status"] == "SUCCEEDED", h.explain(described)
    [audit] = h.audit_objects().values()
    url = audit["snapshot"]["url"]
    assert audit["snapshot"]["available"] is True and url.startswith("http")
    assert f"/{EDGE_RECORD[SNAPSHOT_FIELD]['FaceKeys'][0]}?" in url
    # then the email's HTML part shows it as an image (URL attribute-escaped)
    [email] = h.emails()
    assert f'<img src="{html.escape(url, quote=True)}"' in email.body


def test_available_snapshot_link_is_in_the_text_and_sns_messages(
    snapped: tuple[MatchHarness, dict[str, Any]],
) -> None:
    # given the agent's crop uploaded, when Lin is seen
    h, described = snapped
    url = next(iter(h.audit_objects().values()))["snapshot"]["url"]
    # then the SNS message and the email's text part carry the link verbatim
    [message] = h.sns_messages()
    assert message.startswith(f"{NAME} was seen on camera front-door")
    assert message.endswith(f" Snapshot: {url}")
    assert _text_part(h, described["executionArn"]) == message


def test_available_snapshot_link_is_in_the_webhook_body(
    snapped: tuple[MatchHarness, dict[str, Any]], http_endpoint: HttpEndpoint
) -> None:
    # given the agent's crop uploaded, when Lin is seen
    h, _ = snapped
    url = next(iter(h.audit_objects().values()))["snapshot"]["url"]
    # then the webhook's JSON carries the presigned link
    [hook] = http_endpoint.requests_to("/hook")
    assert hook["body"]["snapshotUrl"] == url
