"""The indexing workflow's second try with a URL-decoded object key (see `workflows.indexing`).

Entered at ``KEY_NOT_FOUND_STATE`` when the key as the event gave it names nothing: IndexFaces
answered InvalidS3ObjectException (Object Created) or the registry has no ``key#`` item
(Object Deleted). A key holding ``%`` or ``+`` is decoded by a Lambda (ASL has no URL-decode
intrinsic; handlers/object_key.py), the working document's key fields are rebuilt from the
decoded key and the event is handled again from its first step, once (``keyDecoded``). A key
that decodes to itself, or was decoded already, ends as it did before: ``unknown-key`` for
Object Deleted, a failure (DLQ + ``failed`` audit record) for Object Created.
"""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import State
from facewatch.workflows.indexing_asl import pass_state, task
from facewatch.workflows.settings import IndexingWorkflowSettings


def object_fields(key: str) -> dict[str, Any]:
    """The working document's fields derived from the object key at JSONPath ``key``."""
    key_hash = f"States.Hash({key}, 'SHA-256')"
    return {
        "key.$": key,
        "externalImageId.$": key_hash,
        "keyItem.$": f"States.Format('key#{{}}', {key})",
        "faceItem.$": f"States.Format('face#{{}}', {key_hash})",
    }


KEY_NOT_FOUND_STATE = "Key as given not found"


def decoded_key_states(settings: IndexingWorkflowSettings) -> dict[str, State]:
    """The key named nothing: retry once with its URL-decoded form (module docstring)."""
    key = "$.object.key"
    by_event = {"Variable": "$.object.eventType", "StringEquals": "Object Deleted"}
    return {
        KEY_NOT_FOUND_STATE: {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.object.keyDecoded", "BooleanEquals": True, "Next": "Key not found"},
                {
                    "Or": [
                        {"Variable": key, "StringMatches": "*%*"},
                        {"Variable": key, "StringMatches": "*+*"},
                    ],
                    "Next": "Decode key",
                },
            ],
            "Default": "Key not found",
        },
        "Decode key": task(
            "arn:aws:states:::lambda:invoke",
            {"FunctionName": settings.object_key_function_arn, "Payload": {"Key.$": key}},
            "Lambda",
            ResultSelector={"Key.$": "$.Payload.Key", "Changed.$": "$.Payload.Changed"},
            ResultPath="$.scratch.decodedKey",
            Next="Was the key encoded?",
        ),
        "Was the key encoded?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.scratch.decodedKey.Changed",
                    "BooleanEquals": True,
                    "Next": "Use decoded key",
                }
            ],
            "Default": "Key not found",
        },
        "Use decoded key": pass_state(
            "Start again with decoded key",
            Parameters={
                "eventType.$": "$.object.eventType",
                "bucket.$": "$.object.bucket",
                **object_fields("$.scratch.decodedKey.Key"),
                "keyDecoded": True,
            },
            ResultPath="$.object",
        ),
        "Start again with decoded key": {
            "Type": "Choice",
            "Choices": [{**by_event, "Next": "Find previous faces"}],
            "Default": "Index faces",
        },
        "Key not found": {
            "Type": "Choice",
            "Choices": [{**by_event, "Next": "Status unknown-key"}],
            "Default": "Object not found",
        },
        # Object Created of a key that names no object, decoded or not: a failure as before.
        "Object not found": pass_state(
            "Send failure", InputPath="$.indexing.error", ResultPath="$.error"
        ),
    }
