"""The notified path of one face: snapshot, one Parallel branch per configured channel, audit.

Every channel retries throttling and 5xx with backoff, then catches everything: its failure
goes to the dead-letter queue with the full context and becomes outcome ``failed``, so one
channel never blocks the others or the audit record. A snapshot failure degrades to a
message without image (and to a text-only email, since only the snapshot Lambda can
HTML-escape the name: ASL has no escaping function).
"""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import (
    LAMBDA_TRANSIENT,
    S3_PUT_CHECKSUM,
    S3_TRANSIENT,
    State,
    catch_all,
    retry,
)
from facewatch.workflows.match_channels import channel_branches
from facewatch.workflows.match_common import dead_letter_state, match_context
from facewatch.workflows.settings import MatchWorkflowSettings

SNAPSHOT_STATE = "TakeSnapshot"
SUPPRESSED_STATE = "WriteSuppressedAudit"
ADOPT_PERSON_STATE = "AdoptPerson"
DEDUPE_UNAVAILABLE_STATE = "DedupeUnavailable"
_JSON = "application/json"


def audit_key(kind: str) -> str:
    """``audit/YYYY/MM/DD/<execution>/record-<i>-face-<j>[-kind].json``."""
    suffix = f"-{kind}" if kind else ""
    return (
        f"States.Format('{{}}/record-{{}}-face-{{}}{suffix}.json', "
        "$.AuditPrefix, $.RecordIndex, $.FaceIndex)"
    )


def audit_states(
    settings: MatchWorkflowSettings,
    name: str,
    key: str,
    body: dict[str, Any],
    outcome: dict[str, Any],
    next_state: str,
    failure_next: str,
    result_path: str | None = None,
) -> dict[str, State]:
    """``Build<name>`` assembles the document, ``<name>`` writes it to the audit bucket;
    its output is ``outcome``, or the state with ``outcome`` at ``result_path``.

    The document is serialised with States.JsonToString: the S3 PutObject Body is a blob, and
    moto's aws-sdk task passes a JSON object through unserialised (AWS documents Body as a
    string too), so one Pass builds it first.
    """
    return {
        f"Build{name}": {
            "Type": "Pass",
            "Parameters": body,
            "ResultPath": "$.AuditDocument",
            "Next": name,
        },
        name: {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Parameters": {
                "Bucket": settings.audit_bucket,
                "Key.$": key,
                "ContentType": _JSON,
                "Body.$": "States.JsonToString($.AuditDocument)",
                **S3_PUT_CHECKSUM,
            },
            "ResultSelector": outcome,
            **({"ResultPath": result_path} if result_path else {}),
            "Retry": retry(S3_TRANSIENT),
            # The audit document must not be lost either: to the DLQ if S3 keeps failing.
            "Catch": [catch_all(failure_next, "$.AuditFailure")],
            **({"Next": next_state} if next_state else {"End": True}),
        },
    }


def notify_states(settings: MatchWorkflowSettings) -> dict[str, State]:
    """From `SNAPSHOT_STATE` (and the suppressed/unavailable dedupe outcomes) to the audit."""
    branches = channel_branches(settings)
    after_snapshot = "Notify" if branches else "BuildWriteAudit"
    channels: dict[str, Any] = {"channels.$": "$.Channels"} if branches else {"channels": []}
    notified_body = {
        "outcome": "notified",
        "dedupe.$": "$.Dedupe.Outcome",
        **channels,
        "snapshot.$": "$.Snapshot.Payload",
        **match_context(),
    }
    states: dict[str, State] = {
        DEDUPE_UNAVAILABLE_STATE: {
            "Type": "Pass",
            "Comment": "Fail open: notify rather than lose the alert; the audit says so.",
            "Parameters": {"Outcome": "unavailable", "Error.$": "$.DedupeFailure"},
            "ResultPath": "$.Dedupe",
            "Next": ADOPT_PERSON_STATE,
        },
        # The notified path (cost matters less there) reads the person from $.Person.
        ADOPT_PERSON_STATE: {
            "Type": "Pass",
            "InputPath": "$.Sighting.person",
            "ResultPath": "$.Person",
            "Next": SNAPSHOT_STATE,
        },
        SNAPSHOT_STATE: {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": settings.snapshot_function_arn,
                "Payload": {
                    "Frame.$": "$.Frame",
                    "BoundingBox.$": "$.Face.DetectedFace.BoundingBox",
                    "FaceIndex.$": "$.FaceIndex",
                    "Camera.$": "$.Camera",
                    "PersonName.$": "$.Person.Name",
                },
            },
            "ResultSelector": {"Payload.$": "$.Payload"},
            "ResultPath": "$.Snapshot",
            "Retry": retry(LAMBDA_TRANSIENT),
            "Catch": [catch_all("SnapshotUnavailable", "$.SnapshotFailure")],
            "Next": after_snapshot,
        },
        "SnapshotUnavailable": {
            "Type": "Pass",
            "Parameters": {
                "Payload": {
                    "available": False,
                    "url": None,
                    "text_image": "",
                    "error.$": "States.JsonToString($.SnapshotFailure)",
                }
            },
            "ResultPath": "$.Snapshot",
            "Next": after_snapshot,
        },
        **audit_states(
            settings,
            "WriteAudit",
            audit_key(""),
            notified_body,
            {"Outcome": "notified"},
            "",
            "AuditToDeadLetterQueue",
        ),
        "AuditToDeadLetterQueue": dead_letter_state(
            settings,
            {"kind": "audit-failure", "error.$": "$.AuditFailure", "audit.$": "$.AuditDocument"},
            "AuditLost",
        ),
        # One state: the document is $.Sighting (the match context and the person, built by
        # the face Map's ItemSelector and the person states) merged with the outcome fields.
        SUPPRESSED_STATE: {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Parameters": {
                "Bucket": settings.audit_bucket,
                "Key.$": audit_key("suppressed"),
                "ContentType": _JSON,
                "Body.$": "States.JsonToString(States.JsonMerge($.Sighting, $.Suppressed, false))",
                **S3_PUT_CHECKSUM,
            },
            "ResultSelector": {"Outcome": "suppressed"},
            "Retry": retry(S3_TRANSIENT),
            "Catch": [catch_all("SuppressedAuditToDeadLetterQueue", "$.AuditFailure")],
            "End": True,
        },
        "SuppressedAuditToDeadLetterQueue": dead_letter_state(
            settings,
            {
                "kind": "audit-failure",
                "error.$": "$.AuditFailure",
                "audit.$": "$.Sighting",
                "outcome.$": "$.Suppressed",
            },
            "AuditLost",
        ),
        "AuditLost": {"Type": "Pass", "Result": {"Outcome": "audit-dead-lettered"}, "End": True},
    }
    if branches:
        states["Notify"] = {
            "Type": "Parallel",
            "Branches": branches,
            "ResultPath": "$.Channels",
            "Next": "BuildWriteAudit",
        }
    return states
