"""Match workflow channels: SES, SNS, Slack, WhatsApp and webhook, each failing in turn."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from match_fixtures import (  # noqa: F401  (pytest fixtures)
    RECIPIENT,
    HttpEndpoint,
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    sighting,
)

from facewatch.workflows.match import build_match_definition
from facewatch.workflows.records import CAMERA_NAME_MAX
from facewatch.workflows.settings import Channels, EmailChannel, SnsChannel

CHANNELS = ["email", "slack", "sns", "webhook", "whatsapp"]
HOSTILE = 'Zoë "<script>alert(1)</script>" & <b>Ørsted</b>'


def _delivered(audit: dict[str, object]) -> dict[str, str]:
    return {c["Channel"]: c["Outcome"] for c in audit["channels"]}  # type: ignore[index, union-attr]


def test_every_configured_channel_delivers(
    harness: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given all five channels configured
    h = harness
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    # when Lin is seen
    result = h.run([sighting("front-door", "people_lin.png")])
    # then every channel delivered, and the audit says so
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [audit] = h.audit_objects().values()
    assert _delivered(audit) == dict.fromkeys(CHANNELS, "delivered")
    assert len(h.emails()) == 1 and len(h.sns_messages()) == 1
    [slack] = http_endpoint.requests_to("/slack")
    assert (
        slack["headers"]["Authorization"] == "Bearer xoxb-test"
    )  # from the EventBridge connection
    assert slack["body"]["channel"] == "C0FACE"
    assert slack["body"]["blocks"][0]["text"]["type"] == "plain_text"
    [whatsapp] = http_endpoint.requests_to("/wa/v21.0/1234/messages")
    assert whatsapp["body"]["to"] == "15550001111"
    assert whatsapp["headers"]["Authorization"] == "Bearer wa-token"
    [hook] = http_endpoint.requests_to("/hook")
    assert hook["body"]["person"] == "Lin-Manuel Miranda"
    assert hook["body"]["camera"] == "front-door"
    assert hook["body"]["executionArn"] == result["executionArn"]
    assert h.dead_letters() == []


def _break(channel: str, h: MatchHarness, endpoint: HttpEndpoint) -> None:
    if channel == "email":
        email = replace(h.settings.channels.email, sender="unverified@nowhere.example")  # type: ignore[type-var]
        h.deploy(channels=replace(h.settings.channels, email=email))
    elif channel == "sns":
        sns = SnsChannel(topic_arn="arn:aws:sns:us-east-1:123456789012:no-such-topic")
        h.deploy(channels=replace(h.settings.channels, sns=sns))
    elif channel == "slack":  # Slack's way of failing: HTTP 200 with ok: false
        endpoint.answer("/slack", (200, {"ok": False, "error": "channel_not_found"}))
    elif channel == "whatsapp":
        endpoint.answer("/wa/v21.0/1234/messages", (400, {"error": {"message": "bad recipient"}}))
    elif channel == "webhook":
        endpoint.answer("/hook", (503, {"error": "down"}))


@pytest.mark.parametrize("failing", CHANNELS)
def test_a_failing_channel_does_not_block_the_others(
    harness: MatchHarness, http_endpoint: HttpEndpoint, failing: str
) -> None:
    # given one channel that fails
    h = harness
    _break(failing, h, http_endpoint)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    # when Lin is seen
    result = h.run([sighting("front-door", "people_lin.png")])
    # then the others deliver, the audit records the failure, the DLQ holds its context
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [audit] = h.audit_objects().values()
    expected = dict.fromkeys(CHANNELS, "delivered") | {failing: "failed"}
    assert _delivered(audit) == expected
    [letter] = h.dead_letters()
    assert letter["kind"] == "channel-failure"
    assert letter["channel"] == failing
    assert letter["person"]["Name"] == "Lin-Manuel Miranda"
    assert letter["camera"] == "front-door"
    assert letter["error"]["Error"]


def test_webhook_5xx_is_retried_then_delivered(
    harness: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    h = harness
    http_endpoint.answer("/hook", (503, {"error": "busy"}), (200, {"ok": True}))
    h.enrol("people/lin.png", "Lin", "people_lin.png")
    result = h.run([sighting("front-door", "people_lin.png")])
    assert result["status"] == "SUCCEEDED", h.explain(result)
    assert len(http_endpoint.requests_to("/hook")) == 2
    [audit] = h.audit_objects().values()
    assert _delivered(audit)["webhook"] == "delivered"


def test_sns_subject_stays_valid_for_the_longest_camera_name(harness: MatchHarness) -> None:
    # given an SNS channel, and a camera with the longest name the stack accepts
    h = harness.deploy(channels=Channels(sns=harness.settings.channels.sns))
    h.enrol("people/zoe.png", HOSTILE, "people_zoe.png")
    camera = "c" * CAMERA_NAME_MAX
    # when a non-ASCII name is seen on it
    result = h.run([sighting(camera, "people_zoe.png")])
    # then SNS accepted the publication: its Subject is ASCII and under 100 characters
    # (SNS Publish rejects anything else, on AWS as on moto)
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [audit] = h.audit_objects().values()
    assert _delivered(audit) == {"sns": "delivered"}
    [envelope] = h.sns_envelopes()
    assert envelope["Subject"].isascii() and len(envelope["Subject"]) < 100
    # and the message still names the person and the camera
    assert envelope["Message"].startswith(f"{HOSTILE} was seen on camera {camera} ")
    assert h.dead_letters() == []


def test_hostile_unicode_name_is_escaped_in_html_and_intact_in_text(harness: MatchHarness) -> None:
    # given a name full of markup and non-ASCII letters (S3 itself refuses < > & " in tag
    # values; the escaping is defence in depth, and the Unicode letters are real-world)
    h = harness.deploy(channels=Channels(email=harness.settings.channels.email))
    h.enrol("people/zoe.png", HOSTILE, "people_zoe.png")
    # when she is seen
    result = h.run([sighting("front-door", "people_zoe.png")])
    assert result["status"] == "SUCCEEDED", h.explain(result)
    # then the HTML part carries the escaped name and no live markup from it
    [email] = h.emails()
    assert email.destinations["ToAddresses"] == [RECIPIENT]
    assert (
        "Zoë &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &amp; &lt;b&gt;Ørsted&lt;/b&gt;"
        in email.body
    )
    assert "<script>" not in email.body and "<b>" not in email.body
    # and the text part (also sent) has the name verbatim
    [request] = h.scheduled_parameters(result["executionArn"], "sendEmail")
    assert request["Content"]["Simple"]["Body"]["Text"]["Data"].startswith(f"{HOSTILE} was seen")
    assert "Html" in request["Content"]["Simple"]["Body"]


def test_only_configured_channels_appear_in_the_definition(harness: MatchHarness) -> None:
    settings = replace(
        harness.settings, channels=Channels(email=EmailChannel("a@b.example", ("c@d.example",)))
    )
    text = json.dumps(build_match_definition(settings))
    assert "sesv2:sendEmail" in text
    for absent in ("sns:publish", "http:invoke", "PostSlack", "SendWhatsApp", "PostWebhook"):
        assert absent not in text
    none = json.dumps(build_match_definition(replace(settings, channels=Channels())))
    assert "Parallel" not in none and "sendEmail" not in none


EXACT = 80.95174655705812  # what Rekognition reports; people read "81.0%"


def test_channel_texts_show_the_similarity_with_one_decimal(
    harness: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given all five channels, and Lin seen with a similarity full of digits
    h = harness
    h.enrol("people/lin.png", "Lin", "people_lin.png")
    # when the match is handled
    result = h.run([sighting("front-door", "people_lin.png", similarity=EXACT)])
    assert result["status"] == "SUCCEEDED", h.explain(result)
    # then every text people read says 81.0%, and none the raw float
    [request] = h.scheduled_parameters(result["executionArn"], "sendEmail")
    body = request["Content"]["Simple"]["Body"]
    [slack] = http_endpoint.requests_to("/slack")
    [whatsapp] = http_endpoint.requests_to("/wa/v21.0/1234/messages")
    [hook] = http_endpoint.requests_to("/hook")
    texts = {
        "email text": body["Text"]["Data"],
        "email html": body["Html"]["Data"],
        "sns": h.sns_messages()[0],
        "slack": slack["body"]["text"],
        "slack block": slack["body"]["blocks"][0]["text"]["text"],
        "whatsapp": whatsapp["body"]["text"]["body"],
        "webhook": hook["body"]["text"],
    }
    for channel, text in texts.items():
        assert "(similarity 81.0%)" in text or "<p>similarity 81.0%</p>" in text, channel
        assert str(EXACT) not in text and "80.9" not in text, channel
    # and the webhook's number is rounded the same way
    assert hook["body"]["similarity"] == 81.0


def test_audit_record_keeps_the_exact_similarity(harness: MatchHarness) -> None:
    # given Lin seen with a similarity full of digits
    h = harness
    h.enrol("people/lin.png", "Lin", "people_lin.png")
    # when the match is handled
    result = h.run([sighting("front-door", "people_lin.png", similarity=EXACT)])
    # then the audit record holds the value Rekognition reported, unrounded
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [audit] = h.audit_objects().values()
    assert audit["similarity"] in (EXACT, [EXACT])  # moto may wrap an indexed path's value
    assert audit["maxSimilarity"] == EXACT
