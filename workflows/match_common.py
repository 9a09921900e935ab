"""Shared pieces of the match workflow definition: error names, retriers, message texts.

Error names are listed in both spellings where moto differs from AWS: aws-sdk integrations
fail with ``<Service>.<Exception>`` on AWS (``S3.NoSuchKeyException``,
``SesV2.TooManyRequestsException``) but moto 5.2.5 derives the prefix from the lower-case
SDK name (``s3.NoSuchKeyException``, ``sesv2.TooManyRequestsException``). Listing both is valid
on AWS (an ``ErrorEquals`` entry that never occurs is inert) and lets moto exercise the path.
"""

from __future__ import annotations

from typing import Any

from workflows.settings import MatchWorkflowSettings

State = dict[str, Any]

# Optimised integrations (dynamodb:, sns:, sqs:, lambda:) use the same names on AWS and moto.
LAMBDA_TRANSIENT = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
DYNAMODB_TRANSIENT = [
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerErrorException",
]
CONDITIONAL_CHECK_FAILED = "DynamoDB.ConditionalCheckFailedException"
SQS_TRANSIENT = ["SQS.RequestThrottledException", "SQS.SdkClientException"]
SNS_TRANSIENT = [
    "SNS.ThrottledException",
    "SNS.InternalErrorException",
    "SNS.KMSThrottlingException",
    "SNS.SdkClientException",
]
# aws-sdk integrations: both spellings (see module docstring).
S3_NO_SUCH_KEY = ["S3.NoSuchKeyException", "s3.NoSuchKeyException"]
S3_TRANSIENT = ["S3.S3Exception", "s3.s3Exception", "S3.SdkClientException"]
SES_TRANSIENT = [
    "SesV2.TooManyRequestsException",
    "sesv2.TooManyRequestsException",
    "SesV2.LimitExceededException",
    "sesv2.LimitExceededException",
    "SesV2.SesV2Exception",
    "sesv2.sesv2Exception",
]
HTTP_TRANSIENT = [
    "States.Http.StatusCode.429",
    "States.Http.StatusCode.500",
    "States.Http.StatusCode.502",
    "States.Http.StatusCode.503",
    "States.Http.StatusCode.504",
    "States.Http.Socket",
]

UNKNOWN_PERSON = "Unknown person"


def retry(errors: list[str], interval: int = 1, attempts: int = 3) -> list[dict[str, Any]]:
    """One retrier with exponential backoff (x2) and full jitter, as AWS recommends."""
    return [
        {
            "ErrorEquals": list(errors),
            "IntervalSeconds": interval,
            "MaxAttempts": attempts,
            "BackoffRate": 2.0,
            "JitterStrategy": "FULL",
        }
    ]


def catch_all(next_state: str, result_path: str) -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], "ResultPath": result_path, "Next": next_state}


# ASL Format templates: '{}' placeholders; the literal text must not contain ' { } or \.
TEXT_MESSAGE = (
    "States.Format('{} was seen on camera {} ({}).{}', "
    "$.Person.Name, $.Camera, $.Match.SimilarityText, $.Snapshot.Payload.text_image)"
)
HTML_MESSAGE = (
    "States.Format('<html><body><h2>{} was seen on camera {}</h2><p>{}</p>{}</body></html>', "
    "$.Snapshot.Payload.html_name, $.Camera, $.Match.SimilarityText, "
    "$.Snapshot.Payload.html_image)"
)
SUBJECT = "States.Format('facewatch: {} on camera {}', $.Person.Name, $.Camera)"
# SNS subjects must be ASCII: the camera name is ([A-Za-z0-9_.-]), the person's name may not be.
SNS_SUBJECT = "States.Format('facewatch: match on camera {}', $.Camera)"


def match_context() -> dict[str, Any]:
    """What a DLQ message or an audit record says about the match being handled."""
    return {
        "person.$": "$.Person",
        "camera.$": "$.Camera",
        "similarity.$": "$.Match.Similarity",
        # The highest similarity among this match and the sightings coalesced into it.
        "maxSimilarity.$": "$.MaxSimilarity",
        "arrivalSeconds.$": "$.Now",
        "face.$": "$.Face",
        "record": {"kinesis.$": "$.Kinesis", "data.$": "$.Decoded"},
        # Later sightings of the same face on the same camera in this batch (handlers/decode.py).
        "coalesced.$": "$.Coalesced",
        "executionArn.$": "$$.Execution.Id",
    }


def dead_letter_state(
    settings: MatchWorkflowSettings, body: dict[str, Any], next_state: str
) -> State:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": settings.dead_letter_queue_url, "MessageBody": body},
        "ResultPath": None,
        "Retry": retry(SQS_TRANSIENT),
        "Catch": [catch_all(next_state, "$.DeadLetterFailure")],
        "Next": next_state,
    }
