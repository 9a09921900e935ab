"""The EventBridge Pipe's filter: which Kinesis records start the match workflow.

`filter_pattern` is the single source of the pattern: `infra/` deploys `filter_criteria` as
the pipe's FilterCriteria and the local mode evaluates the same criteria
(`facewatch.local.event_pattern`).

Pipes decode a Kinesis record's base64 `data` when it is JSON, so the pattern addresses the
record document under `data`. `FaceSearchResponse` and `MatchedFaces` are arrays of
objects; EventBridge patterns match a field inside an array of objects when any element
matches (as in AWS's Security Hub example `{"detail": {"findings": {"Severity": ...}}}`).

- default: keep records with at least one matched face (a `MatchedFaces[].Face.FaceId`);
- unknown-face alerts on: keep records with any detected face, matched or not.

Records without faces (Rekognition also writes those) never start an execution, which is
what keeps the workflow's cost proportional to sightings rather than to frames.
"""

from __future__ import annotations

import json
from typing import Any


def filter_pattern(unknown_face_alerts: bool) -> dict[str, Any]:
    exists = [{"exists": True}]
    if unknown_face_alerts:
        return {"data": {"FaceSearchResponse": {"DetectedFace": {"Confidence": exists}}}}
    return {"data": {"FaceSearchResponse": {"MatchedFaces": {"Face": {"FaceId": exists}}}}}


def filter_criteria(unknown_face_alerts: bool) -> dict[str, list[dict[str, str]]]:
    """The Pipe's FilterCriteria as the Pipes API takes it: patterns as JSON strings."""
    return {"Filters": [{"Pattern": json.dumps(filter_pattern(unknown_face_alerts))}]}
