"""The match workflow: the Pipe's decoded batch in, deduplicated and audited alerts out.

Input: what the EventBridge Pipe's enrichment (handlers/decode.py: decode, check, coalesce,
keep the batch under the payload budget) returns for a batch of Kinesis records, a one-element
array ``[<batch>]`` as Pipes pass an enrichment's array response on, or the bare ``<batch>``:
``{"Matches", "UnknownFaces", "Rejected", "AnyRejected", "AnyMalformed", "Summary"}``. The
Pipe (FIRE_AND_FORGET) starts the execution with it; the raw records (up to 1 MB each) never
reach the state machine.

    ReadBatch (Choice: array or object) -> PrepareBatch
      -> HandleFaces (Map, one per (camera, best match's ExternalImageId) of the batch:
         workflows.match_person, then workflows.match_notify)
      -> with unknown_face_alerts: HandleUnknownFaces (Map, one per camera with unknown faces)
      -> any rejected record? HandleRejectedRecords (Map: DLQ message + audit record each)
         -> Fail "MalformedRecord" (any malformed) / "OversizedRecord" : Succeed "Done"

The Maps iterate only over what must be handled, never per record, and each handled match's
audit record lists the sightings that joined it. A rejected record (malformed, or too big for
an execution input: then offloaded to S3 by the enrichment) never stops the rest of its batch,
and there is no retry loop: the Pipe does not redeliver, so every outcome is an audit object,
a DLQ message, or both. The execution ends FAILED when a record was rejected, so the console
shows it.

Pure Python, no Pulumi: ``infra/``, the local mode and the tests all build this definition.
"""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import State
from facewatch.workflows.match_common import dead_letter_state, sighting_fields
from facewatch.workflows.match_notify import (
    ADOPT_PERSON_STATE,
    DEDUPE_UNAVAILABLE_STATE,
    SUPPRESSED_STATE,
    audit_states,
    notify_states,
)
from facewatch.workflows.match_person import (
    DEDUPE_STATE,
    FIRST_PERSON_STATE,
    UNKNOWN_PERSON_STATE,
    dedupe_state,
    match_states,
    unknown_person_states,
)
from facewatch.workflows.settings import MatchWorkflowSettings

# What a rejected entry of the decoded batch holds (handlers/decode.py).
REJECTED_FIELDS = ("RecordIndex", "Outcome", "Kind", "Problem", "Record", "Offloaded")

MALFORMED_STATE = "MalformedRecord"
MALFORMED_ERROR = "Facewatch.MalformedRecord"
OVERSIZED_STATE = "OversizedRecord"
OVERSIZED_ERROR = "Facewatch.OversizedRecord"
# The unknown-face Map's copies of the face states (Dedupe, notify, audit) get this prefix.
UNKNOWN_PREFIX = "Unknown"


def _start_time_part(index: int) -> str:
    # The date of the first state's entry ($$.State.EnteredTime, ISO 8601: "2024-05-01T12:...")
    # split on '-' and 'T' gives year, month, day. Not $$.Execution.StartTime: moto passes that
    # to intrinsics as a datetime object, which States.StringSplit/Format reject; EnteredTime
    # is a string on both, and PrepareBatch is entered as the execution starts.
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

    The Pipe's enrichment gives each handled face with its record's context
    (handlers/decode.py), so the face branch starts at its first useful state. ``Sighting``
    is the audit document of a suppressed match but for ``person`` (set by the person states)
    and the outcome fields (``Suppressed``): built here, it costs no state transition.
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
        "Frame.$": f"{item}.Frame",
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
            frame=f"{item}.Frame",
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


def _rejected_map(settings: MatchWorkflowSettings) -> State:
    """One iteration per rejected record: DLQ message + audit record; then a Fail state."""
    rejected_body = {
        "kind.$": "$.Kind",
        "problem.$": "$.Problem",
        "record.$": "$.Record",
        # Where the enrichment put the record as received (null when it is inline).
        "offloaded.$": "$.Offloaded",
        "executionArn.$": "$$.Execution.Id",
    }
    item = "$$.Map.Item.Value"
    return {
        "Type": "Map",
        "ItemsPath": "$.Decoded.Rejected",
        "ItemSelector": {
            **{f"{field}.$": f"{item}.{field}" for field in REJECTED_FIELDS},
            "AuditPrefix.$": "$.AuditPrefix",
        },
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "RejectedToDeadLetterQueue",
            "States": {
                "RejectedToDeadLetterQueue": dead_letter_state(
                    settings, rejected_body, "BuildAuditRejected"
                ),
                **audit_states(
                    settings,
                    "AuditRejected",
                    "States.Format('{}/record-{}-{}.json', $.AuditPrefix, $.RecordIndex, "
                    "$.Outcome)",
                    {"outcome.$": "$.Outcome", **rejected_body},
                    {"Written": True},
                    "RejectedOutcome",
                    # The DLQ already holds the record: an audit failure still says what
                    # became of it.
                    "RejectedOutcome",
                    result_path="$.Audit",
                ),
                "RejectedOutcome": {
                    "Type": "Pass",
                    "Parameters": {"Status.$": "$.Outcome"},
                    "End": True,
                },
            },
        },
        "ResultPath": "$.Decoded.Rejected",
        "Next": "AnyMalformed",
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
    prepare = {
        "Type": "Pass",
        "Parameters": {"Decoded.$": "$", "AuditPrefix.$": audit_prefix},
        "Next": "HandleFaces",
    }
    return {
        "Comment": "facewatch match workflow: resolve, dedupe, notify, audit a decoded batch.",
        "QueryLanguage": "JSONPath",
        "StartAt": "ReadBatch",
        "States": {
            # Pipes pass the enrichment's one-element array on as the execution input; the
            # bare batch object is accepted too (the documentation does not rule out that
            # Pipes unwrap it). An array has no "Matches" field.
            "ReadBatch": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.Matches", "IsPresent": True, "Next": "PrepareBatch"}],
                "Default": "PrepareArrayBatch",
            },
            "PrepareBatch": prepare,
            "PrepareArrayBatch": {
                **prepare,
                "Parameters": {"Decoded.$": "$[0]", "AuditPrefix.$": audit_prefix},
            },
            **_face_maps(settings, "AnyRejected"),
            "AnyRejected": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.Decoded.AnyRejected",
                        "BooleanEquals": True,
                        "Next": "HandleRejectedRecords",
                    }
                ],
                "Default": "Done",
            },
            "HandleRejectedRecords": _rejected_map(settings),
            "AnyMalformed": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.Decoded.AnyMalformed",
                        "BooleanEquals": True,
                        "Next": MALFORMED_STATE,
                    }
                ],
                "Default": OVERSIZED_STATE,
            },
            MALFORMED_STATE: {
                "Type": "Fail",
                "Error": MALFORMED_ERROR,
                "Cause": "At least one record was malformed: see the dead-letter queue and the "
                "audit objects named record-<i>-malformed.json; the other records were handled.",
            },
            OVERSIZED_STATE: {
                "Type": "Fail",
                "Error": OVERSIZED_ERROR,
                "Cause": "At least one record was too big for the execution input: it is in the "
                "audit bucket (see the dead-letter queue and the audit objects named "
                "record-<i>-oversized.json); the other records were handled.",
            },
            # Output: {"Matches": [<each handled match's outcome>], "UnknownFaces": [...],
            # "Rejected": [], "AnyRejected": false, "Summary": {record/face/coalesced counts}}.
            "Done": {"Type": "Succeed", "OutputPath": "$.Decoded"},
        },
    }
