"""The face-indexing workflow: keeps the Rekognition collection in step with the faces bucket.

Started by the faces bucket's S3 -> EventBridge events (``Object Created`` / ``Object Deleted``).

Object Created: IndexFaces on the object (largest face, QualityFilter AUTO) with
ExternalImageId = `external_image_id(key)`; then the faces the key had before are deleted
(a re-upload replaces them: indexing first means the person is never missing in between),
the ``facewatch-status`` tag is merged into the object's tags (whose name tags also give the
person's name, `workflows.person_name`), the registry items are written (team contract:
``face#<ExternalImageId>`` -> ObjectKey, plus PersonName and PersonNameSource when the tags
name the person; ``key#<key>`` -> ExternalImageId, FaceIds, Status), and an audit record is
written. A name tag changed later takes effect at the photo's next upload.

Outcomes: ``indexed``, ``several-faces`` (the largest face is indexed; the others were refused
with EXCEEDS_MAX_FACES), ``no-face``, ``not-an-image`` (InvalidImageFormat or
InvalidParameter: not a JPEG or PNG, e.g. a HEIC photo uploaded without `facewatch faces add`,
which converts it), ``image-too-large`` (ImageTooLarge: more than Rekognition's 15 MB for an
S3 object). None of them fails the execution.

Object Deleted: the key's faces are deleted from the collection and both registry items
removed; an unknown key is a no-op (audited as ``unknown-key``).

Anything unexpected (an event of another bucket, a failing call) sends the context to the
dead-letter queue, writes a ``failed`` audit record when it can, and ends in the Fail state
``Indexing failed``.

Object keys: the S3 -> EventBridge event carries the key as stored, not URL-encoded. (S3's
*classic* notifications URL-encode it, "red flower.jpg" -> "red+flower.jpg", and say so; the
EventBridge event structure documentation describes no encoding, and ASL has no URL-decode
intrinsic.) The key is used as is.
"""

from __future__ import annotations

import hashlib
from typing import Any

from facewatch.workflows.asl import State
from facewatch.workflows.indexing_asl import (
    AUDIT_PREFIX,
    FAILED_STATE,
    FAILURE_ERROR,
    IMAGE_TOO_LARGE_ERRORS,
    NOT_AN_IMAGE_ERRORS,
    REJECTED_EVENT_ERROR,
    STATUS_TAG,
    STATUSES,
    TO_FAILURE,
    aws_sdk,
    pass_state,
    pk,
    registry_write,
    task,
)
from facewatch.workflows.indexing_registry import FORGET_ENROLLED_NAME, registry_states
from facewatch.workflows.indexing_tags import audit_states, tagging_states
from facewatch.workflows.settings import IndexingWorkflowSettings

__all__ = [
    "AUDIT_PREFIX",
    "FAILED_STATE",
    "FAILURE_ERROR",
    "STATUSES",
    "STATUS_TAG",
    "audit_key",
    "build_indexing_definition",
    "external_image_id",
]


def external_image_id(key: str) -> str:
    """The ExternalImageId the workflow gives the faces of ``key``.

    Lower-case hex SHA-256 of the key's UTF-8 bytes: what ``States.Hash(key, 'SHA-256')``
    returns. 64 characters of ``[0-9a-f]``, so within Rekognition's ``[a-zA-Z0-9_.\\-:]+``
    and 255-character limits for any key (spaces, slashes, non-ASCII).
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def audit_key(key: str, execution_name: str) -> str:
    """Where the workflow writes the audit record of one execution for ``key``."""
    return f"{AUDIT_PREFIX}{external_image_id(key)}/{execution_name}.json"


def _event_states(settings: IndexingWorkflowSettings) -> dict[str, State]:
    key_hash = "States.Hash($.detail.object.key, 'SHA-256')"
    return {
        "Check event": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.detail.object.key", "IsPresent": True},
                        {"Variable": "$.detail.bucket.name", "IsPresent": True},
                        {"Variable": "$['detail-type']", "IsPresent": True},
                    ],
                    "Next": "Check bucket",
                }
            ],
            "Default": "Reject event",
        },
        "Check bucket": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.detail.bucket.name", "StringEquals": settings.faces_bucket},
                        {"Variable": "$.detail.object.key", "IsString": True},
                        {"Variable": "$['detail-type']", "IsString": True},
                    ],
                    "Next": "Describe object",
                }
            ],
            "Default": "Reject event",
        },
        "Reject event": pass_state(
            "Send failure",
            Result={
                "Error": REJECTED_EVENT_ERROR,
                "Cause": "Expected an S3 Object Created or Object Deleted event of the faces "
                f"bucket {settings.faces_bucket}",
            },
            ResultPath="$.error",
        ),
        # One working document for the whole execution; every later field has a default here
        # so that the audit record can always be built from it.
        "Describe object": pass_state(
            "Route by event type",
            Parameters={
                "event.$": "$",
                "object": {
                    # Set by "Mark creation" / "Mark deletion" (statelint rejects a
                    # "detail-type" path in Parameters; Choice rules read it directly).
                    "eventType": "unknown",
                    "bucket.$": "$.detail.bucket.name",
                    "key.$": "$.detail.object.key",
                    "externalImageId.$": key_hash,
                    "keyItem.$": "States.Format('key#{}', $.detail.object.key)",
                    "faceItem.$": f"States.Format('face#{{}}', {key_hash})",
                },
                "indexing": {},
                "outcome": {"status": "pending", "faceIds": []},
                "previous": {"faceIds": []},
                "tagging": {},
                "person": {},
                "scratch": {},
            },
        ),
        "Route by event type": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.event['detail-type']",
                    "StringEquals": "Object Created",
                    "Next": "Mark creation",
                },
                {
                    "Variable": "$.event['detail-type']",
                    "StringEquals": "Object Deleted",
                    "Next": "Mark deletion",
                },
            ],
            "Default": "Reject event",
        },
        "Mark creation": pass_state(
            "Index faces", Result="Object Created", ResultPath="$.object.eventType"
        ),
        "Mark deletion": pass_state(
            "Status removed", Result="Object Deleted", ResultPath="$.object.eventType"
        ),
    }


def _indexing_states(settings: IndexingWorkflowSettings) -> dict[str, State]:
    def status(name: str, next_state: str = "Find previous faces") -> State:
        return pass_state(
            next_state, Result={"status": name, "faceIds": []}, ResultPath="$.outcome"
        )

    def with_face(name: str) -> State:
        return pass_state(
            "Collect face ids",
            Parameters={"status": name, "faces.$": "$.indexing.FaceRecords[*].Face"},
            ResultPath="$.outcome",
        )

    return {
        "Index faces": task(
            aws_sdk("rekognition", "indexFaces"),
            {
                "CollectionId": settings.collection_id,
                "Image": {"S3Object": {"Bucket": settings.faces_bucket, "Name.$": "$.object.key"}},
                "ExternalImageId.$": "$.object.externalImageId",
                "MaxFaces": 1,
                "QualityFilter": "AUTO",
            },
            "Rekognition",
            ResultSelector={
                "FaceRecords.$": "$.FaceRecords",
                "UnindexedFaces.$": "$.UnindexedFaces",
                "FaceCount.$": "States.ArrayLength($.FaceRecords)",
                "UnindexedJson.$": "States.JsonToString($.UnindexedFaces)",
            },
            ResultPath="$.indexing",
            Catch=[
                {
                    "ErrorEquals": NOT_AN_IMAGE_ERRORS,
                    "ResultPath": "$.indexing.error",
                    "Next": "Status not-an-image",
                },
                {
                    "ErrorEquals": IMAGE_TOO_LARGE_ERRORS,
                    "ResultPath": "$.indexing.error",
                    "Next": "Status image-too-large",
                },
                TO_FAILURE,
            ],
            Next="Classify faces",
        ),
        "Classify faces": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.indexing.FaceCount",
                    "NumericEquals": 0,
                    "Next": "Status no-face",
                },
                {
                    # MaxFaces 1 indexes the largest face and refuses the others with this
                    # reason; matching the JSON text avoids JSONPath over a maybe-empty list.
                    "Variable": "$.indexing.UnindexedJson",
                    "StringMatches": "*EXCEEDS_MAX_FACES*",
                    "Next": "Status several-faces",
                },
            ],
            "Default": "Status indexed",
        },
        "Status indexed": with_face("indexed"),
        "Status several-faces": with_face("several-faces"),
        # Two steps, because moto returns `$.a[*].b.c` as a bare value when it matches once
        # (AWS returns a list); `$.a[*].b` is a list in both.
        "Collect face ids": pass_state(
            "Find previous faces",
            Parameters={"status.$": "$.outcome.status", "faceIds.$": "$.outcome.faces[*].FaceId"},
            ResultPath="$.outcome",
        ),
        "Status no-face": status("no-face"),
        "Status not-an-image": status("not-an-image"),
        "Status image-too-large": status("image-too-large"),
        "Status removed": status("removed"),
        "Status unknown-key": status("unknown-key", FORGET_ENROLLED_NAME),
    }


def _previous_faces_states(settings: IndexingWorkflowSettings) -> dict[str, State]:
    return {
        "Find previous faces": task(
            "arn:aws:states:::dynamodb:getItem",
            {
                "TableName": settings.registry_table,
                "Key": pk("$.object.keyItem"),
                "ConsistentRead": True,
            },
            "DynamoDB",
            ResultPath="$.previous.lookup",
            Next="Was the key registered?",
        ),
        "Was the key registered?": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.previous.lookup.Item", "IsPresent": True, "Next": "Count previous"},
                {
                    "Variable": "$.object.eventType",
                    "StringEquals": "Object Deleted",
                    "Next": "Status unknown-key",
                },
            ],
            "Default": "Format face ids",
        },
        "Count previous": pass_state(
            "Any previous faces?",
            Parameters={
                "count.$": "States.ArrayLength($.previous.lookup.Item.FaceIds.L)",
                "externalImageId.$": "$.previous.lookup.Item.ExternalImageId.S",
            },
            ResultPath="$.previous.summary",
        ),
        "Any previous faces?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.previous.summary.count",
                    "NumericGreaterThan": 0,
                    "Next": "List previous faces",
                }
            ],
            "Default": "Continue by event type",
        },
        "List previous faces": pass_state(
            "Delete previous faces",
            Parameters={
                "faceIds.$": "$.previous.lookup.Item.FaceIds.L[*].S",
                "lookup.$": "$.previous.lookup",
                "summary.$": "$.previous.summary",
            },
            ResultPath="$.previous",
        ),
        "Delete previous faces": task(
            aws_sdk("rekognition", "deleteFaces"),
            {"CollectionId": settings.collection_id, "FaceIds.$": "$.previous.faceIds"},
            "Rekognition",
            ResultSelector={"DeletedFaces.$": "$.DeletedFaces"},
            ResultPath="$.previous.deletion",
            Next="Continue by event type",
        ),
        "Continue by event type": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.object.eventType",
                    "StringEquals": "Object Deleted",
                    "Next": "Forget face mapping",
                }
            ],
            "Default": "Format face ids",
        },
        "Forget face mapping": registry_write(
            "deleteItem",
            settings.registry_table,
            # The id stored with the key, so a key indexed under an older scheme is cleaned.
            {"Key": pk("States.Format('face#{}', $.previous.summary.externalImageId)")},
            "Forget key mapping",
        ),
        "Forget key mapping": registry_write(
            "deleteItem",
            settings.registry_table,
            {"Key": pk("$.object.keyItem")},
            FORGET_ENROLLED_NAME,
        ),
    }


def build_indexing_definition(settings: IndexingWorkflowSettings) -> dict[str, Any]:
    """The ASL (JSONPath) definition of the face-indexing state machine."""
    states: dict[str, State] = {}
    for part in (
        _event_states,
        _indexing_states,
        _previous_faces_states,
        registry_states,
        tagging_states,
        audit_states,
    ):
        states.update(part(settings))
    return {
        "Comment": "facewatch face indexing: keeps the Rekognition collection in step with "
        "the faces bucket (S3 Object Created / Object Deleted events).",
        "QueryLanguage": "JSONPath",
        "StartAt": "Check event",
        "States": states,
    }
