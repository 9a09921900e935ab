"""The match workflow: Kinesis face-search records in, deduplicated and audited alerts out.

Input: the JSON array of Kinesis records an EventBridge Pipe (FIRE_AND_FORGET) starts the
execution with (``data`` base64 JSON, ``approximateArrivalTimestamp``, ...).

    PrepareBatch -> DecodeRecords (Lambda: decode, check and coalesce, see handlers/decode.py)
      -> HandleFaces (Map, one per (camera, best match's ExternalImageId) of the batch:
         workflows.match_person, then workflows.match_notify)
      -> with unknown_face_alerts: HandleUnknownFaces (Map, one per camera with unknown faces)
      -> any malformed record? HandleMalformedRecords (Map: DLQ message + audit record each)
         -> Fail "MalformedRecord" : Succeed "Done"

The decode Lambda coalesces the sightings of one face identity on one camera within a batch
(a person in view gives ~5 records a second): the Maps iterate only over what must be
handled, never per record, and each handled match's audit record lists the sightings that
joined it. A malformed record never stops the rest of its batch, and there is no retry
loop: the Pipe does not redeliver, so every outcome is an audit object, a DLQ message, or both. The
execution ends FAILED (state ``MalformedRecord``) when a record was malformed, so the console
shows it.

Pure Python, no Pulumi: ``infra/``, the local mode and the tests all build this definition.
"""

from __future__ import annotations

from typing import Any

from workflows.asl import State, catch_all, retry
from workflows.match_common import LAMBDA_TRANSIENT, dead_letter_state, sighting_fields
from workflows.match_notify import (
    ADOPT_PERSON_STATE,
    DEDUPE_UNAVAILABLE_STATE,
    SUPPRESSED_STATE,
    audit_states,
    notify_states,
)
from workflows.match_person import (
    DEDUPE_STATE,
    FIRST_PERSON_STATE,
    UNKNOWN_PERSON_STATE,
    dedupe_state,
    match_states,
    unknown_person_states,
)
from workflows.settings import MatchWorkflowSettings

MALFORMED_STATE = "MalformedRecord"
MALFORMED_ERROR = "Facewatch.MalformedRecord"
BATCH_FAILED_STATE = "BatchNotDecoded"
# The unknown-face Map's copies of the face states (Dedupe, notify, audit) get this prefix.
UNKNOWN_PREFIX = "Unknown"


def _start_time_part(index: int) -> str:
    # The date of the first state's entry ($$.State.EnteredTime, ISO 8601: "2024-05-01T12:...")
    # split on '-' and 'T' gives year, month, day. Not $$.Execution.StartTime: moto passes that
    # to intrinsics as a datetime object, which States.StringSplit/Format reject; EnteredTime
    # is a string on both, and PrepareBatch is entered when the execution starts.
    return f"States.ArrayGetItem(States.StringSplit($$.State.EnteredTime, '-T'), {index})"


def _face_states(settings: MatchWorkflowSettings, first: dict[str, State]) -> dict[str, State]:
    states = dict(first)
    states[DEDUPE_STATE] = dedupe_state(
        settings,
        notified_next=ADOPT_PERSON_STATE,
        suppressed_next=SUPPRESSED_STATE,
        unavailable_next=DEDUPE_UNAVAILABLE_STATE,
    )
    states.update(notify_states(settings))
    return states


def _face_item(settings: MatchWorkflowSettings, match: dict[str, Any]) -> dict[str, Any]:
    """A face Map's ItemSelector: the handled face, its record's context, the audit draft.

    The decode Lambda gives each handled face with its record's context (handlers/decode.py),
    so the face branch starts at its first useful state. ``Sighting`` is the audit document
    of a suppressed match but for ``person`` (set by the person states) and the outcome fields
    (``Suppressed``): built here, it costs no state transition.
    """
    item = "$$.Map.Item.Value"
    return {
        "Face.$": f"{item}.Face",
        "FaceIndex.$": f"{item}.FaceIndex",
        "RecordIndex.$": f"{item}.RecordIndex",
        "Camera.$": f"{item}.Camera",
        "Now.$": f"{item}.ArrivalSeconds",
        # MathAdd on an integer the decode Lambda checked: no intrinsic here can fail on
        # input. (AWS limits MathAdd to 32-bit integers: epoch seconds fit until 2038.)
        "ExpiresAt.$": f"States.MathAdd({item}.ArrivalSeconds, {settings.dedupe_window_seconds})",
        "Kinesis.$": f"{item}.Kinesis",
        "Decoded.$": f"{item}.Decoded",
        "Coalesced.$": f"{item}.Coalesced",
        "MaxSimilarity.$": f"{item}.MaxSimilarity",
        "AuditPrefix.$": "$.AuditPrefix",
        "Match": match,
        "Sighting": sighting_fields(
            camera=f"{item}.Camera",
            similarity=match.get("Similarity.$"),
            max_similarity=f"{item}.MaxSimilarity",
            arrival_seconds=f"{item}.ArrivalSeconds",
            face=f"{item}.Face",
            kinesis=f"{item}.Kinesis",
            decoded=f"{item}.Decoded",
            coalesced=f"{item}.Coalesced",
        ),
        "Suppressed": {"outcome": "suppressed", "dedupe": "suppressed"},
    }


def _prefixed(states: dict[str, State], prefix: str) -> dict[str, State]:
    """The same states, renamed: state names must be unique in the whole state machine."""

    def rename(machine: dict[str, Any]) -> dict[str, Any]:
        names = set(machine["States"])
        return {
            **machine,
            "StartAt": prefix + machine["StartAt"],
            "States": {
                prefix + name: state(body, names) for name, body in machine["States"].items()
            },
        }

    def target(value: Any, names: set[str]) -> Any:
        return prefix + value if isinstance(value, str) and value in names else value

    def state(body: State, names: set[str]) -> State:
        copy = {**body}
        for field in ("Next", "Default"):
            if field in copy:
                copy[field] = target(copy[field], names)
        for field in ("Choices", "Catch"):
            if field in copy:
                copy[field] = [{**r, "Next": target(r["Next"], names)} for r in copy[field]]
        if "Branches" in copy:
            copy["Branches"] = [rename(branch) for branch in copy["Branches"]]
        if "ItemProcessor" in copy:
            copy["ItemProcessor"] = rename(copy["ItemProcessor"])
        return copy

    renamed: dict[str, State] = rename({"StartAt": next(iter(states)), "States": states})["States"]
    return renamed


def _face_maps(settings: MatchWorkflowSettings, next_state: str) -> dict[str, State]:
    best = "$$.Map.Item.Value.Best"
    matched = {
        "Best.$": best,
        "Similarity.$": f"{best}.Similarity",
        # Rounded to one decimal by the decode Lambda (ASL cannot round); the audit record
        # keeps the exact Similarity.
        "SimilarityRounded.$": "$$.Map.Item.Value.SimilarityRounded",
        "SimilarityText.$": "$$.Map.Item.Value.SimilarityText",
        "ExternalImageId.$": f"{best}.Face.ExternalImageId",
    }
    unknown = {
        "Similarity": None,
        "SimilarityRounded": None,
        "SimilarityText": "no match in the collection",
        "ExternalImageId": None,
    }
    # Each Map writes its iterations' outcomes over the list it iterated: the execution's
    # output says what became of each handled face, without the decoded records.
    handle_faces: State = {
        "Type": "Map",
        "ItemsPath": "$.Decoded.Matches",
        "ItemSelector": _face_item(settings, matched),
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": FIRST_PERSON_STATE,
            "States": _face_states(settings, match_states(settings)),
        },
        "ResultPath": "$.Decoded.Matches",
    }
    if not settings.unknown_face_alerts:
        # Faces without matches are ignored: the decode Lambda does not even list them.
        return {"HandleFaces": {**handle_faces, "Next": next_state}}
    return {
        "HandleFaces": {**handle_faces, "Next": "HandleUnknownFaces"},
        "HandleUnknownFaces": {
            "Type": "Map",
            "ItemsPath": "$.Decoded.UnknownFaces",
            "ItemSelector": _face_item(settings, unknown),
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": UNKNOWN_PREFIX + UNKNOWN_PERSON_STATE,
                "States": _prefixed(
                    _face_states(settings, unknown_person_states()), UNKNOWN_PREFIX
                ),
            },
            "ResultPath": "$.Decoded.UnknownFaces",
            "Next": next_state,
        },
    }


def _malformed_map(settings: MatchWorkflowSettings) -> State:
    """One iteration per malformed record: DLQ message + audit record; then the Fail state."""
    malformed_body = {
        "kind": "malformed-record",
        "problem.$": "$.Problem",
        "record.$": "$.Record",
        "executionArn.$": "$$.Execution.Id",
    }
    item = "$$.Map.Item.Value"
    return {
        "Type": "Map",
        "ItemsPath": "$.Decoded.Malformed",
        "ItemSelector": {
            "Problem.$": f"{item}.Problem",
            "Record.$": f"{item}.Record",
            "RecordIndex.$": f"{item}.RecordIndex",
            "AuditPrefix.$": "$.AuditPrefix",
        },
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "MalformedToDeadLetterQueue",
            "States": {
                "MalformedToDeadLetterQueue": dead_letter_state(
                    settings, malformed_body, "BuildAuditMalformed"
                ),
                **audit_states(
                    settings,
                    "AuditMalformed",
                    "States.Format('{}/record-{}-malformed.json', $.AuditPrefix, $.RecordIndex)",
                    {"outcome": "malformed", **malformed_body},
                    {"Status": "malformed"},
                    "",
                    # The DLQ already holds the record: an audit failure still says "malformed".
                    "MalformedOutcome",
                ),
                "MalformedOutcome": {
                    "Type": "Pass",
                    "Result": {"Status": "malformed"},
                    "End": True,
                },
            },
        },
        "ResultPath": "$.Decoded.Malformed",
        "Next": MALFORMED_STATE,
    }


def build_match_definition(settings: MatchWorkflowSettings) -> dict[str, Any]:
    """The match workflow's ASL (JSONPath) for these settings."""
    if settings.dedupe_window_seconds <= 0:
        raise ValueError("dedupe_window_seconds must be a positive number of seconds")
    audit_prefix = (
        "States.Format('audit/{}/{}/{}/{}', "
        f"{_start_time_part(0)}, {_start_time_part(1)}, {_start_time_part(2)}, "
        "$$.Execution.Name)"
    )
    return {
        "Comment": "facewatch match workflow: decode, resolve, dedupe, notify, audit.",
        "QueryLanguage": "JSONPath",
        "StartAt": "PrepareBatch",
        "States": {
            "PrepareBatch": {
                "Type": "Pass",
                "Parameters": {"Records.$": "$", "AuditPrefix.$": audit_prefix},
                "Next": "DecodeRecords",
            },
            "DecodeRecords": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": settings.decode_function_arn,
                    "Payload": {
                        "Records.$": "$.Records",
                        "UnknownFaceAlerts": settings.unknown_face_alerts,
                    },
                },
                "ResultSelector": {
                    "Matches.$": "$.Payload.Matches",
                    "UnknownFaces.$": "$.Payload.UnknownFaces",
                    "Malformed.$": "$.Payload.Malformed",
                    "AnyMalformed.$": "$.Payload.AnyMalformed",
                    "Summary.$": "$.Payload.Summary",
                },
                "ResultPath": "$.Decoded",
                "Retry": retry(LAMBDA_TRANSIENT, interval=2, attempts=4),
                "Catch": [catch_all("BatchToDeadLetterQueue", "$.Failure")],
                "Next": "HandleFaces",
            },
            "BatchToDeadLetterQueue": dead_letter_state(
                settings,
                {
                    "kind": "undecoded-batch",
                    "error.$": "$.Failure",
                    "records.$": "$.Records",
                    "executionArn.$": "$$.Execution.Id",
                },
                BATCH_FAILED_STATE,
            ),
            BATCH_FAILED_STATE: {
                "Type": "Fail",
                "Error": "Facewatch.BatchNotDecoded",
                "Cause": "The decode Lambda failed; the batch is in the dead-letter queue.",
            },
            **_face_maps(settings, "AnyMalformed"),
            "AnyMalformed": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.Decoded.AnyMalformed",
                        "BooleanEquals": True,
                        "Next": "HandleMalformedRecords",
                    }
                ],
                "Default": "Done",
            },
            "HandleMalformedRecords": _malformed_map(settings),
            MALFORMED_STATE: {
                "Type": "Fail",
                "Error": MALFORMED_ERROR,
                "Cause": "At least one record was malformed: see the dead-letter queue and the "
                "audit objects named record-<i>-malformed.json; the other records were handled.",
            },
            # Output: {"Matches": [<each handled match's outcome>], "UnknownFaces": [...],
            # "Malformed": [], "AnyMalformed": false, "Summary": {record/face/coalesced counts}}.
            "Done": {"Type": "Succeed", "OutputPath": "$.Decoded"},
        },
    }
