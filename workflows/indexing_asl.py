"""ASL building blocks of the indexing workflow (shared by `workflows.indexing*`)."""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import (
    DYNAMODB_TRANSIENT,
    S3_TRANSIENT,
    SQS_TRANSIENT,
    State,
    aws_sdk_errors,
    catch_all,
    retry,
)

STATUS_TAG = "facewatch-status"
STATUSES = ("indexed", "no-face", "several-faces", "not-an-image", "image-too-large")
AUDIT_PREFIX = "audit/indexing/"
FAILED_STATE = "Indexing failed"
FAILURE_ERROR = "facewatch.IndexingFailed"
REJECTED_EVENT_ERROR = "facewatch.UnsupportedEvent"


# aws-sdk errors in both spellings, AWS's and moto's (workflows.asl).
NOT_AN_IMAGE_ERRORS = aws_sdk_errors(
    "Rekognition", "InvalidImageFormatException", "InvalidParameterException"
)
# More than 15 MB from S3 (Rekognition's limit for an S3Object image), or too many pixels.
IMAGE_TOO_LARGE_ERRORS = aws_sdk_errors("Rekognition", "ImageTooLargeException")
_TRANSIENT = {
    "Rekognition": aws_sdk_errors(
        "Rekognition",
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerErrorException",
    ),
    "DynamoDB": DYNAMODB_TRANSIENT,
    "S3": S3_TRANSIENT,
    "SQS": SQS_TRANSIENT,
}


TO_FAILURE = catch_all("Send failure", "$.error")


def task(resource: str, parameters: dict[str, Any], service: str, **fields: Any) -> State:
    state: State = {"Type": "Task", "Resource": resource, "Parameters": parameters}
    state["Retry"] = retry(_TRANSIENT[service])
    state.update(fields)
    state.setdefault("Catch", [TO_FAILURE])
    return state


def registry_write(action: str, table: str, request: dict[str, Any], next_state: str) -> State:
    """A DynamoDB `putItem`/`deleteItem` on the registry table; its result is discarded."""
    return task(
        f"arn:aws:states:::dynamodb:{action}",
        {"TableName": table, **request},
        "DynamoDB",
        ResultPath=None,
        Next=next_state,
    )


def aws_sdk(service: str, action: str) -> str:
    return f"arn:aws:states:::aws-sdk:{service}:{action}"


def pk(path: str) -> dict[str, Any]:
    return {"pk": {"S.$": path}}


def pass_state(next_state: str, **fields: Any) -> State:
    return {"Type": "Pass", **fields, "Next": next_state}
