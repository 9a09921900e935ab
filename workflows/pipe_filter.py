"""The EventBridge Pipe's filter: which Kinesis records start the match workflow.

`filter_patterns` is the single source of the patterns: `infra/` deploys `filter_criteria` as
the pipe's FilterCriteria and the local mode evaluates the same criteria
(`facewatch.local.event_pattern`, through `facewatch.local.pipe.keep`). The Pipe's batching
settings live next to them, in `workflows.pipe_settings`.

Pipes decode a Kinesis record's base64 `data` when it is JSON, so the patterns address the
record document under `data`. The filters are OR'ed (at most 5 per pipe). Matching follows
EventBridge's rules (the open-source aws/event-ruler): the document is flattened to its leaf
values, a field inside an array of objects matches when any element matches (as in AWS's
Security Hub example `{"detail": {"findings": {"Severity": ...}}}`), and `exists` only sees
leaves: an object, an array of objects and an empty array all count as "absent".

1. Faces of interest:
   - default: records with at least one matched face (a `MatchedFaces[].Face.FaceId`);
   - unknown-face alerts on: records with any detected face, matched or not.
   Records without faces (Rekognition writes one per analysed frame) never start an
   execution, which keeps the workflow's cost proportional to sightings, not frames.
2. Malformed JSON records, so that they end in a visible outcome (the workflow's decode
   step sends them to the dead-letter queue and ends in its `MalformedRecord` state):
   - no `InputInformation.KinesisVideo.StreamArn` leaf: the record names no camera (any
     JSON that is not a face-search record, or one missing that field);
   - a `FaceSearchResponse` that is a leaf (a string, number, null or list of those)
     instead of a list of objects.

What no filter can keep, and why:
- A record whose `FaceSearchResponse` is missing entirely is indistinguishable from a record
  with `"FaceSearchResponse": []` (no leaf either way), so it is dropped like a frame without
  faces. `{"FaceSearchResponse": [{"exists": false}]}` would NOT single it out: since the
  field is never a leaf, that pattern matches every record, one execution per frame.
- A record whose `data` is not JSON: a pattern on `data` never matches it (AWS: "Plain
  string" data with a JSON `data` pattern -> the record is dropped; see
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html and
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html), and a
  metadata-only filter would keep every record, starting an execution per frame.
Both producers, Rekognition stream processors and the facewatch camera agent, only ever
write JSON documents with `InputInformation.KinesisVideo.StreamArn` and a
`FaceSearchResponse` list, so these limits concern foreign writers to the stream only.
"""

from __future__ import annotations

import json
from typing import Any

_EXISTS = [{"exists": True}]
_ABSENT = [{"exists": False}]


def filter_pattern(unknown_face_alerts: bool) -> dict[str, Any]:
    """The first filter: records with faces the workflow should look at."""
    if unknown_face_alerts:
        return {"data": {"FaceSearchResponse": {"DetectedFace": {"Confidence": _EXISTS}}}}
    return {"data": {"FaceSearchResponse": {"MatchedFaces": {"Face": {"FaceId": _EXISTS}}}}}


# Kept so the workflow reports them (decode -> DLQ + MalformedRecord), see the docstring.
MALFORMED_PATTERNS: tuple[dict[str, Any], ...] = (
    {"data": {"InputInformation": {"KinesisVideo": {"StreamArn": _ABSENT}}}},
    {"data": {"FaceSearchResponse": _EXISTS}},
)


def filter_patterns(unknown_face_alerts: bool) -> list[dict[str, Any]]:
    """Every filter of the pipe, in order: faces of interest, then malformed records."""
    return [filter_pattern(unknown_face_alerts), *MALFORMED_PATTERNS]


def filter_criteria(unknown_face_alerts: bool) -> dict[str, list[dict[str, str]]]:
    """The Pipe's FilterCriteria as the Pipes API takes it: patterns as JSON strings."""
    return {
        "Filters": [
            {"Pattern": json.dumps(pattern)} for pattern in filter_patterns(unknown_face_alerts)
        ]
    }
