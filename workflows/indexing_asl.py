"""ASL building blocks of the indexing workflow (shared by `workflows.indexing*`)."""

from __future__ import annotations

from typing import Any

State = dict[str, Any]

STATUS_TAG = "facewatch-status"
STATUSES = ("indexed", "no-face", "several-faces", "not-an-image")
AUDIT_PREFIX = "audit/indexing/"
FAILED_STATE = "Indexing failed"
FAILURE_ERROR = "facewatch.IndexingFailed"
REJECTED_EVENT_ERROR = "facewatch.UnsupportedEvent"


def errors(service: str, *names: str) -> list[str]:
    # AWS names aws-sdk errors "<Service>.<Exception>" (Rekognition.InvalidImageFormatException);
    # moto 5.2.5 spells the prefix in lower case (rekognition.InvalidImageFormatException).
    # Catching both is valid on AWS and lets the very same definition run in moto.
    return [f"{prefix}.{name}" for prefix in (service, service.lower()) for name in names]


NOT_AN_IMAGE_ERRORS = errors(
    "Rekognition",
    "InvalidImageFormatException",
    "ImageTooLargeException",
    "InvalidParameterException",
)
_TRANSIENT = {
    "Rekognition": errors(
        "Rekognition",
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerErrorException",
    ),
    "DynamoDB": [
        "DynamoDB.ProvisionedThroughputExceededException",
        "DynamoDB.ThrottlingException",
        "DynamoDB.InternalServerErrorException",
    ],
    "S3": errors("S3", "S3Exception"),
    "SQS": ["SQS.SqsException", "SQS.AmazonSQSException"],
}


def retry(service: str) -> list[dict[str, Any]]:
    return [
        {
            "ErrorEquals": _TRANSIENT[service],
            "IntervalSeconds": 1,
            "MaxAttempts": 3,
            "BackoffRate": 2.0,
            "JitterStrategy": "FULL",
        }
    ]


TO_FAILURE = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Send failure"}


def task(resource: str, parameters: dict[str, Any], service: str, **fields: Any) -> State:
    state: State = {"Type": "Task", "Resource": resource, "Parameters": parameters}
    state["Retry"] = retry(service)
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
