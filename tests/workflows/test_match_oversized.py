"""Oversized batches end to end: the records as the Pipe sends them, through the stack's
enrichment (handlers/decode.py) into the match workflow, with Step Functions' 256 KB limit on
the execution input enforced (see match_harness.py)."""

from __future__ import annotations

import json

from match_fixtures import (  # noqa: F401  (pytest fixtures)
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    sighting,
)
from match_records import crowd_record, data_size

from facewatch.workflows.match import OVERSIZED_ERROR
from facewatch.workflows.pipe_settings import EXECUTION_INPUT_LIMIT
from facewatch.workflows.records import OFFLOAD_PREFIX
from facewatch.workflows.settings import Channels, SnsChannel

KNOWN = ["people_lin.png", "people_alex.png", "people_sam.png", "people_kim.png"]


def _sns_only(h: MatchHarness) -> MatchHarness:
    assert h.settings.channels.sns is not None
    return h.deploy(channels=Channels(sns=SnsChannel(h.settings.channels.sns.topic_arn)))


def test_ten_crowded_records_are_all_handled_in_one_execution(harness: MatchHarness) -> None:
    # given four enrolled people in a crowd of a hundred, seen in ten frames (~1 MB of records)
    h = _sns_only(harness)
    for external_id in KNOWN:
        h.enrol(external_id.replace("people_", "people/"), external_id[7:-4].title(), external_id)
    records = [
        crowd_record("plaza", 100, matched=KNOWN, arrival=1_700_000_000.25 + i * 0.2)
        for i in range(10)
    ]
    assert len(json.dumps(records)) > 2 * EXECUTION_INPUT_LIMIT
    # when the Pipe hands the batch to the workflow
    enriched = h.enrich(records)
    result = h.wait(h.start_input(enriched))
    # then the execution input is under Step Functions' limit, each person is notified once,
    # and each audit record lists the nine later frames that saw them too
    assert len(json.dumps(enriched).encode()) < EXECUTION_INPUT_LIMIT
    assert result["status"] == "SUCCEEDED", h.explain(result)
    assert sorted(m.split(" was seen")[0] for m in h.sns_messages()) == [
        "Alex",
        "Kim",
        "Lin",
        "Sam",
    ]
    audits = list(h.audit_objects().values())
    assert len(audits) == 4
    for audit in audits:
        assert [c["recordIndex"] for c in audit["coalesced"]] == list(range(1, 10))
    assert h.dead_letters() == []


def test_a_1_mb_record_is_recorded_and_the_valid_ones_alert(harness: MatchHarness) -> None:
    # given Lin and Alex enrolled, and a 1 MB crowd record between their sightings
    h = _sns_only(harness)
    h.enrol("people/lin.png", "Lin", "people_lin.png")
    h.enrol("people/alex.png", "Alex", "people_alex.png")
    big = crowd_record("plaza", 1400, matched=[f"people_p{i}.png" for i in range(1400)])
    assert data_size(big) >= 1_000_000
    batch = [sighting("gate", "people_lin.png"), big, sighting("gate", "people_alex.png")]
    # when the Pipe hands the batch to the workflow
    result = h.run(batch)
    # then Lin and Alex are notified and audited as usual
    assert sorted(m.split(" was seen")[0] for m in h.sns_messages()) == ["Alex", "Lin"]
    audits = h.audit_objects()
    notified = sorted(a["person"]["Name"] for a in audits.values() if a["outcome"] == "notified")
    assert notified == ["Alex", "Lin"]
    # and the big record ends in the dead-letter queue and an audit record, both naming the
    # object in the audit bucket that holds it as received; the execution says so
    assert (result["status"], result["error"]) == ("FAILED", OVERSIZED_ERROR)
    [letter] = h.dead_letters()
    assert letter["kind"] == "oversized-record"
    assert letter["record"]["sequenceNumber"] == big["sequenceNumber"]
    [oversized] = [a for key, a in audits.items() if key.endswith("record-1-oversized.json")]
    assert oversized["offloaded"] == letter["offloaded"]
    assert oversized["problem"] == letter["problem"]
    pointer = letter["offloaded"]
    assert pointer["Bucket"] == h.settings.audit_bucket
    assert pointer["Key"].startswith(OFFLOAD_PREFIX)
    assert f"s3://{pointer['Bucket']}/{pointer['Key']}" in letter["problem"]
    stored = h.clients["s3"].get_object(Bucket=pointer["Bucket"], Key=pointer["Key"])
    assert json.loads(stored["Body"].read())["record"] == big
