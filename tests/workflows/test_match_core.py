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

from facewatch.workflows.settings import Channels, SnsChannel


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


def _face_branch_states(h: MatchHarness, execution_arn: str) -> list[str]:
    """The states entered inside the HandleFaces Map (one record, one face), in order."""
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in h.history(execution_arn)
        if e["type"].endswith("StateEntered")
    ]
    start = entered.index("HandleFaces") + 1
    return entered[start : entered.index("AnyRejected", start)]


def test_suppressed_duplicate_ends_its_face_branch_in_three_transitions(
    harness: MatchHarness,
) -> None:
    # given a person enrolled as the indexing workflow does it, and a notified first sighting
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin", "people_lin.png")
    first = h.run([sighting("front-door", "people_lin.png")])
    # when a duplicate runs
    second = h.run([sighting("front-door", "people_lin.png", arrival=1_700_000_010.0)])
    # then its face branch enters exactly the lookup, the dedupe and the audit write
    assert second["status"] == "SUCCEEDED", h.explain(second)
    suppressed = _face_branch_states(h, second["executionArn"])
    assert suppressed == ["LookupPerson", "Dedupe", "WriteSuppressedAudit"]
    # and the first sighting took the same fast path to its notification
    notified = _face_branch_states(h, first["executionArn"])
    assert notified[:3] == ["LookupPerson", "Dedupe", "AdoptPerson"]
    assert "LookupPhoto" not in notified and "ReadPhotoTags" not in notified
    assert notified[-1] == "WriteAudit"


def test_legacy_registry_item_without_person_name_reads_the_tags(harness: MatchHarness) -> None:
    # given a photo indexed before names were stored (face item with ObjectKey only)
    h = sns_only(harness)
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png", stored_name=False)
    # when the camera sees him, twice
    first = h.run([sighting("front-door", "people_lin.png")])
    second = h.run([sighting("front-door", "people_lin.png", arrival=1_700_000_010.0)])
    # then the name comes from the key tag, the second sighting is suppressed, both via tags
    assert first["status"] == second["status"] == "SUCCEEDED", h.explain(second)
    [message] = h.sns_messages()
    assert message.startswith("Lin-Manuel Miranda was seen")
    outcomes = sorted(a["outcome"] for a in h.audit_objects().values())
    assert outcomes == ["notified", "suppressed"]
    branch = _face_branch_states(h, second["executionArn"])
    assert branch[:3] == ["LookupPerson", "LookupPhoto", "HasPhotoKey"]
    assert "ReadPhotoTags" in branch and branch[-2:] == ["Dedupe", "WriteSuppressedAudit"]


def test_stored_name_and_legacy_tags_share_one_dedupe_key(harness: MatchHarness) -> None:
    # given two photos of Lin: one indexed with his stored name, one legacy (tags only)
    h = sns_only(harness)
    h.enrol("people/lin-1.png", "Lin-Manuel Miranda", "people_lin-1.png")
    h.enrol("people/lin-2.png", "Lin-Manuel Miranda", "people_lin-2.png", stored_name=False)
    # when one batch matches each photo
    result = h.run(
        [
            sighting("front-door", "people_lin-1.png", arrival=1_700_000_000.1),
            sighting("front-door", "people_lin-2.png", arrival=1_700_000_000.6),
        ]
    )
    # then one notification: both paths give the same person#<name>#<camera> key
    assert result["status"] == "SUCCEEDED", h.explain(result)
    assert len(h.sns_messages()) == 1
    [item] = h.dedupe_items()
    assert item["pk"]["S"] == "person#Lin-Manuel Miranda#front-door"


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
    # given a legacy registry item (no stored name) mapping the face to a deleted photo
    h = sns_only(harness)
    h.enrol("people/gone.png", "Gone Person", "people_gone.png", upload=False, stored_name=False)
    # when the face is seen
    result = h.run([sighting("front-door", "people_gone.png")])
    # then the alert still goes out, named after the ExternalImageId
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("people_gone.png was seen on camera front-door")
    [audit] = h.audit_objects().values()
    assert audit["person"]["Source"] == "external-image-id"


def test_stored_name_needs_no_photo(harness: MatchHarness) -> None:
    # given a face item with the name stored at indexing, whose photo is gone since (its
    # Object Deleted event not handled yet)
    h = sns_only(harness)
    h.enrol("people/gone.png", "Gone Person", "people_gone.png", upload=False)
    # when the face is seen
    result = h.run([sighting("front-door", "people_gone.png")])
    # then the stored name is used, and the audit says where it came from
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("Gone Person was seen on camera front-door")
    [audit] = h.audit_objects().values()
    assert audit["person"]["Source"] == "object-key-tag"


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
