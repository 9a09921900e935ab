"""Match workflow, core path: first sighting, duplicate, window, photos, cameras, names."""

from __future__ import annotations

import json

from match_fixtures import (  # noqa: F401  (pytest fixtures)
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    sighting,
)

from workflows.settings import Channels, SnsChannel


def sns_only(h: MatchHarness) -> MatchHarness:
    assert h.settings.channels.sns is not None
    return h.deploy(channels=Channels(sns=SnsChannel(h.settings.channels.sns.topic_arn)))


def test_first_sighting_notifies_and_audits(harness: MatchHarness) -> None:
    # given a photo of Lin tagged with his name under its own key
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    # when the camera sees him
    result = h.run([sighting("front-door", "people_lin.png")])
    # then one SNS notification names him, and one audit object records it
    assert result["status"] == "SUCCEEDED", h.explain(result)
    messages = h.sns_messages()
    assert len(messages) == 1
    assert "Lin-Manuel Miranda was seen on camera front-door" in messages[0]
    audits = list(h.audit_objects().values())
    assert len(audits) == 1
    assert audits[0]["outcome"] == "notified"
    assert audits[0]["person"]["Name"] == "Lin-Manuel Miranda"
    assert audits[0]["channels"] == [{"Channel": "sns", "Outcome": "delivered"}]
    print(json.dumps(audits[0], indent=1)[:3000])


def test_duplicate_within_window_is_suppressed(harness: MatchHarness) -> None:
    # given Lin was notified at t0
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    first = h.run([sighting("front-door", "people_lin.png", arrival=1_700_000_000.5)])
    assert first["status"] == "SUCCEEDED", h.explain(first)
    h.sns_messages()
    # when the same camera sees him again 120 s later (window 300 s)
    second = h.run([sighting("front-door", "people_lin.png", arrival=1_700_000_120.5)])
    # then nothing is sent, and the audit records a suppressed match
    assert second["status"] == "SUCCEEDED", h.explain(second)
    assert h.sns_messages() == []
    outcomes = sorted(audit["outcome"] for audit in h.audit_objects().values())
    assert outcomes == ["notified", "suppressed"]
    [item] = h.dedupe_items()
    assert item["pk"]["S"] == "person#Lin-Manuel Miranda#front-door"
    assert item["expiresAt"]["N"] == str(1_700_000_000 + 300)


def test_suppressed_duplicate_ends_within_three_transitions_of_dedupe(
    harness: MatchHarness,
) -> None:
    # given a notified first sighting
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin", "people_lin.png")
    h.run([sighting("front-door", "people_lin.png")])
    # when a duplicate runs
    second = h.run([sighting("front-door", "people_lin.png", arrival=1_700_000_010.0)])
    # then at most 3 states are entered from the Dedupe state on
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in h.history(second["executionArn"])
        if e["type"].endswith("StateEntered")
    ]
    after_dedupe = entered[entered.index("Dedupe") :]
    assert after_dedupe[:3] == ["Dedupe", "BuildWriteSuppressedAudit", "WriteSuppressedAudit"]
    face_states = {"Dedupe", "BuildWriteSuppressedAudit", "WriteSuppressedAudit"}
    assert [s for s in after_dedupe if s not in face_states][:1] in ([], ["AnyMalformed"])


def test_sighting_after_the_window_notifies_again(harness: MatchHarness) -> None:
    # given Lin was notified at t0
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    h.run([sighting("front-door", "people_lin.png", arrival=1_700_000_000.0)])
    # when he is seen again 301 s later (the TTL item still exists: moto never expires TTL)
    again = h.run([sighting("front-door", "people_lin.png", arrival=1_700_000_301.0)])
    # then a second notification goes out and the item's expiry moves on
    assert again["status"] == "SUCCEEDED", h.explain(again)
    assert len(h.sns_messages()) == 2
    [item] = h.dedupe_items()
    assert item["expiresAt"]["N"] == str(1_700_000_301 + 300)


def test_several_photos_of_one_person_give_one_notification(harness: MatchHarness) -> None:
    # given two photos of Lin, each tagged with his name
    h = sns_only(harness)
    h.enrol("people/lin-1.png", "Lin-Manuel Miranda", "people_lin-1.png")
    h.enrol("people/lin-2.png", "Lin-Manuel Miranda", "people_lin-2.png")
    # when one batch holds a sighting matched to each photo
    result = h.run(
        [
            sighting("front-door", "people_lin-1.png", arrival=1_700_000_000.1),
            sighting("front-door", "people_lin-2.png", arrival=1_700_000_000.6),
        ]
    )
    # then one notification, one suppressed
    assert result["status"] == "SUCCEEDED", h.explain(result)
    assert len(h.sns_messages()) == 1
    assert sorted(a["outcome"] for a in h.audit_objects().values()) == ["notified", "suppressed"]


def test_two_cameras_give_two_notifications(harness: MatchHarness) -> None:
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    result = h.run(
        [sighting("front-door", "people_lin.png"), sighting("stage-left", "people_lin.png")]
    )
    assert result["status"] == "SUCCEEDED", h.explain(result)
    messages = sorted(h.sns_messages())
    assert len(messages) == 2
    assert "camera front-door" in messages[0] and "camera stage-left" in messages[1]


def test_concurrent_executions_notify_exactly_once(harness: MatchHarness) -> None:
    # given five executions started at once for the same person and camera
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    arns = [
        h.start([sighting("front-door", "people_lin.png", arrival=1_700_000_000.0 + i)])
        for i in range(5)
    ]
    # when they all finish
    results = [h.wait(arn) for arn in arns]
    # then exactly one notification went out and four were suppressed
    assert all(r["status"] == "SUCCEEDED" for r in results), [h.explain(r) for r in results]
    assert len(h.sns_messages()) == 1
    outcomes = sorted(a["outcome"] for a in h.audit_objects().values())
    assert outcomes == ["notified"] + ["suppressed"] * 4


def test_deleted_photo_falls_back_to_external_image_id(harness: MatchHarness) -> None:
    # given the registry maps the face to a photo that was deleted since
    h = sns_only(harness)
    h.enrol("people/gone.png", "Gone Person", "people_gone.png", upload=False)
    # when the face is seen
    result = h.run([sighting("front-door", "people_gone.png")])
    # then the alert still goes out, named after the ExternalImageId
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("people_gone.png was seen on camera front-door")
    [audit] = h.audit_objects().values()
    assert audit["person"]["Source"] == "external-image-id"


def test_photo_without_key_tag_uses_its_name_tag(harness: MatchHarness) -> None:
    h = sns_only(harness)
    h.enrol(
        "people/alex.png", None, "people_alex.png", tags={"name": "Alex Lacamoire", "team": "band"}
    )
    result = h.run([sighting("front-door", "people_alex.png")])
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("Alex Lacamoire was seen")


def test_missing_registry_mapping_falls_back_to_external_image_id(harness: MatchHarness) -> None:
    h = sns_only(harness)
    result = h.run([sighting("front-door", "never_indexed.png")])
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("never_indexed.png was seen")


def test_key_tag_wins_over_name_tag(harness: MatchHarness) -> None:
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png", tags={"name": "Someone Else"})
    h.run([sighting("front-door", "people_lin.png")])
    [message] = h.sns_messages()
    assert message.startswith("Lin-Manuel Miranda was seen")
