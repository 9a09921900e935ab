"""Match workflow: sightings of one face on one camera within a batch are handled once.

The decode Lambda coalesces them (handlers/decode.py); these tests run the whole definition
in moto and check the side effects: notifications, audit objects, dead letters.
"""

from __future__ import annotations

import json
from typing import Any

from match_fixtures import (  # noqa: F401  (pytest fixtures)
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    kinesis_record,
    sighting,
)

from facewatch.workflows.match import MALFORMED_ERROR
from facewatch.workflows.settings import Channels, SnsChannel

LIN = ("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
ALEX = ("people/alex.png", "Alex Lacamoire", "people_alex.png")
T0 = 1_700_000_000.0


def _sns_only(h: MatchHarness) -> MatchHarness:
    assert h.settings.channels.sns is not None
    h = h.deploy(channels=Channels(sns=SnsChannel(h.settings.channels.sns.topic_arn)))
    for photo in (LIN, ALEX):
        h.enrol(*photo)
    return h


def _lin_in_view(camera: str = "front-door", count: int = 5, start: float = T0) -> list[Any]:
    """`count` records of Lin, 0.2 s apart (5 analysed frames a second)."""
    similarities = [97.0, 98.5, 99.6, 96.2, 98.0][:count]
    return [
        sighting(camera, LIN[2], arrival=start + 0.2 * i, similarity=similarities[i])
        for i in range(count)
    ]


def _entered(h: MatchHarness, execution_arn: str) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in h.history(execution_arn)
        if e["type"].endswith("StateEntered")
    ]


def test_five_records_of_one_person_give_one_audit_listing_four_coalesced(
    harness: MatchHarness,
) -> None:
    # given Lin in view of one camera: a batch of five records
    h = _sns_only(harness)
    batch = _lin_in_view()
    # when the workflow runs
    result = h.run(batch)
    # then one notification and exactly one audit object: the first sighting, notified,
    # listing the four later ones with their sequence numbers, and the best similarity
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("Lin-Manuel Miranda was seen on camera front-door")
    [(key, audit)] = h.audit_objects().items()
    assert key.endswith("/record-0-face-0.json")
    assert audit["outcome"] == "notified"
    assert audit["similarity"] == 97.0 and audit["maxSimilarity"] == 99.6
    assert audit["arrivalSeconds"] == int(T0)
    assert [c["sequenceNumber"] for c in audit["coalesced"]] == [
        r["sequenceNumber"] for r in batch[1:]
    ]
    assert [c["similarity"] for c in audit["coalesced"]] == [98.5, 99.6, 96.2, 98.0]
    assert [c["arrivalTimestamp"] for c in audit["coalesced"]] == [
        r["approximateArrivalTimestamp"] for r in batch[1:]
    ]


def test_coalesced_batch_resolves_and_dedupes_once(harness: MatchHarness) -> None:
    # given Lin in view
    h = _sns_only(harness)
    # when a batch of five of his records runs
    result = h.run(_lin_in_view())
    # then the face branch ran once: one lookup, one dedupe write
    assert result["status"] == "SUCCEEDED", h.explain(result)
    entered = _entered(h, result["executionArn"])
    assert entered.count("LookupPerson") == 1 and entered.count("Dedupe") == 1
    output = json.loads(result["output"])
    assert output["Matches"] == [{"Outcome": "notified"}]
    assert output["Summary"]["Records"] == 5 and output["Summary"]["Coalesced"] == 4


def test_coalesced_batch_inside_the_window_writes_one_suppressed_audit(
    harness: MatchHarness,
) -> None:
    # given Lin was notified a minute ago on this camera
    h = _sns_only(harness)
    first = h.run(_lin_in_view(count=1))
    assert first["status"] == "SUCCEEDED", h.explain(first)
    before = set(h.audit_objects())
    h.sns_messages()
    # when a batch of five more of his records runs
    result = h.run(_lin_in_view(start=T0 + 60))
    # then nothing is sent and one suppressed audit object lists the four coalesced sightings
    assert result["status"] == "SUCCEEDED", h.explain(result)
    assert h.sns_messages() == []
    [key] = set(h.audit_objects()) - before
    audit = h.audit_objects()[key]
    assert key.endswith("/record-0-face-0-suppressed.json")
    assert audit["outcome"] == "suppressed"
    assert len(audit["coalesced"]) == 4 and audit["maxSimilarity"] == 99.6


def test_one_person_on_two_cameras_gives_two_notifications(harness: MatchHarness) -> None:
    # given a batch interleaving Lin on two cameras
    h = _sns_only(harness)
    front, stage = _lin_in_view("front-door", 3), _lin_in_view("stage-left", 3)
    batch = [front[0], stage[0], front[1], stage[1], front[2], stage[2]]
    # when the workflow runs
    result = h.run(batch)
    # then one notification and one audit per camera, each with its two coalesced sightings
    assert result["status"] == "SUCCEEDED", h.explain(result)
    messages = sorted(h.sns_messages())
    assert len(messages) == 2
    assert "camera front-door" in messages[0] and "camera stage-left" in messages[1]
    audits = sorted(h.audit_objects().values(), key=lambda a: a["camera"])
    assert [(a["camera"], len(a["coalesced"])) for a in audits] == [
        ("front-door", 2),
        ("stage-left", 2),
    ]


def test_two_people_on_one_camera_give_two_notifications(harness: MatchHarness) -> None:
    # given a batch with Lin and Alex alternating on one camera
    h = _sns_only(harness)
    batch = [
        sighting("front-door", (LIN if i % 2 == 0 else ALEX)[2], arrival=T0 + 0.2 * i)
        for i in range(4)
    ]
    # when the workflow runs
    result = h.run(batch)
    # then each is notified once
    assert result["status"] == "SUCCEEDED", h.explain(result)
    messages = sorted(h.sns_messages())
    assert [m.split(" was seen")[0] for m in messages] == ["Alex Lacamoire", "Lin-Manuel Miranda"]
    people = sorted((a["person"]["Name"], len(a["coalesced"])) for a in h.audit_objects().values())
    assert people == [("Alex Lacamoire", 1), ("Lin-Manuel Miranda", 1)]


def test_malformed_record_in_a_coalesced_batch_is_still_dead_lettered(
    harness: MatchHarness,
) -> None:
    # given five records of Lin with a malformed one in the middle
    h = _sns_only(harness)
    lin = _lin_in_view(count=4)
    bad = kinesis_record(None, raw_data="%%% not base64 %%%")
    batch = [lin[0], lin[1], bad, lin[2], lin[3]]
    # when the workflow runs
    result = h.run(batch)
    # then the execution fails in the named state, the record is in the DLQ and in its own
    # audit object (named by its batch position), and Lin's sightings were still handled
    assert result["status"] == "FAILED"
    assert result["error"] == MALFORMED_ERROR
    [letter] = h.dead_letters()
    assert letter["kind"] == "malformed-record" and letter["record"] == bad
    audits = h.audit_objects()
    [malformed_key] = [k for k in audits if k.endswith("-malformed.json")]
    assert malformed_key.endswith("/record-2-malformed.json")
    assert audits[malformed_key]["record"] == bad
    [notified] = [a for a in audits.values() if a.get("outcome") == "notified"]
    assert [c["recordIndex"] for c in notified["coalesced"]] == [1, 3, 4]
    assert len(h.sns_messages()) == 1
