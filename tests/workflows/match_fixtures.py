"""What the match workflow tests (test_match_*.py) import: builders, harness and fixtures.

Kept out of conftest.py, which the indexing-workflow tests share. The pieces live in
match_records.py (Kinesis record builders), http_endpoint.py (local HTTP server for the
Slack, WhatsApp and webhook channels) and match_harness.py (the moto harness and its
fixtures); this module re-exports them so tests import fixtures from one place.
"""

from __future__ import annotations

from http_endpoint import HttpEndpoint, http_endpoint
from match_harness import (
    PARTITION,
    RECIPIENT,
    SENDER,
    SNAPSHOT_FUNCTION,
    MatchHarness,
    aws_env,
    harness,
    only,
)
from match_records import (
    ACCOUNT,
    EVENTS,
    REGION,
    detected_face,
    face_document,
    kinesis_record,
    matched_face,
    sighting,
)

__all__ = [
    "ACCOUNT",
    "EVENTS",
    "PARTITION",
    "RECIPIENT",
    "REGION",
    "SENDER",
    "SNAPSHOT_FUNCTION",
    "HttpEndpoint",
    "MatchHarness",
    "aws_env",
    "detected_face",
    "face_document",
    "harness",
    "http_endpoint",
    "kinesis_record",
    "matched_face",
    "only",
    "sighting",
]
