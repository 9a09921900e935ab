"""Shared pieces of the match workflow definition: error names, message texts, the DLQ state.

aws-sdk error names are listed in both spellings (AWS and moto), see `workflows.asl`.
"""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import (
    SQS_TRANSIENT,
    State,
    aws_sdk_errors,
    catch_all,
    retry,
)
from facewatch.workflows.settings import MatchWorkflowSettings

# Optimised integrations (dynamodb:, sns:, sqs:, lambda:) use the same names on AWS and moto.
CONDITIONAL_CHECK_FAILED = "DynamoDB.ConditionalCheckFailedException"
SNS_TRANSIENT = [
    "SNS.ThrottledException",
    "SNS.InternalErrorException",
    "SNS.KMSThrottlingException",
    "SNS.SdkClientException",
]
# aws-sdk integrations: both spellings (workflows.asl).
S3_NO_SUCH_KEY = aws_sdk_errors("S3", "NoSuchKeyException")
SES_TRANSIENT = aws_sdk_errors(
    "SesV2", "TooManyRequestsException", "LimitExceededException", "SesV2Exception"
)
HTTP_TRANSIENT = [
    "States.Http.StatusCode.429",
    "States.Http.StatusCode.500",
    "States.Http.StatusCode.502",
    "States.Http.StatusCode.503",
    "States.Http.StatusCode.504",
    "States.Http.Socket",
]

UNKNOWN_PERSON = "Unknown person"


# ASL Format templates: '{}' placeholders; the literal text must not contain ' { } or \.
TEXT_MESSAGE = (
    "States.Format('{} was seen on camera {} ({}).{}', "
    "$.Person.Name, $.Camera, $.Match.SimilarityText, $.Snapshot.Payload.text_image)"
)
# Slack's `text` (shown in notifications) renders mrkdwn: the name comes escaped by the
# snapshot Lambda (slack_name), or, when that Lambda failed and the name holds & < or >,
# the text names nobody (the message's plain_text block still shows the name as it is).
SLACK_TEXT_ESCAPED = (
    "States.Format('{} was seen on camera {} ({}).{}', "
    "$.Snapshot.Payload.slack_name, $.Camera, $.Match.SimilarityText, "
    "$.Snapshot.Payload.text_image)"
)
SLACK_TEXT_WITHOUT_NAME = (
    "States.Format('A known face was seen on camera {} ({}).', $.Camera, $.Match.SimilarityText)"
)
HTML_MESSAGE = (
    "States.Format('<html><body><h2>{} was seen on camera {}</h2><p>{}</p>{}</body></html>', "
    "$.Snapshot.Payload.html_name, $.Camera, $.Match.SimilarityText, "
    "$.Snapshot.Payload.html_image)"
)
SUBJECT = "States.Format('facewatch: {} on camera {}', $.Person.Name, $.Camera)"
# SNS Publish rejects (InvalidParameter) a Subject that is not ASCII or is 100 characters or
# longer (SNS API reference, PublishRequest.Subject: "less than 100 characters long"). A
# camera name may be CAMERA_NAME_MAX (118) characters and a person's name any text, and
# JSONPath intrinsics cannot truncate a string, so the subject is fixed text; the message
# names the person and the camera. (moto enforces the same 100-character limit.)
SNS_SUBJECT = "facewatch: face match"


def sighting_fields(
    *,
    camera: str,
    similarity: str | None,
    max_similarity: str,
    arrival_seconds: str,
    face: str,
    kinesis: str,
    frame: str,
    coalesced: str,
) -> dict[str, Any]:
    """The fields of an audit record or DLQ message that describe a sighting, read from the
    given JSONPaths: the face Map's item (``Sighting``) and a face branch's state
    (`match_context`) hold them under different paths. ``similarity`` None: no matched face."""
    return {
        "camera.$": camera,
        **({"similarity.$": similarity} if similarity else {"similarity": None}),
        # The highest similarity among this match and the sightings coalesced into it.
        "maxSimilarity.$": max_similarity,
        "arrivalSeconds.$": arrival_seconds,
        "face.$": face,
        # Where the record is in the stream, and its frame (the enrichment drops the rest of
        # the record: landmarks, pose, quality, the other faces).
        "record": {"kinesis.$": kinesis, "frame.$": frame},
        # Later sightings of the same face on the same camera in this batch (handlers/decode.py).
        "coalesced.$": coalesced,
        "executionArn.$": "$$.Execution.Id",
    }


def match_context() -> dict[str, Any]:
    """What a DLQ message or an audit record says about the match being handled."""
    return {
        "person.$": "$.Person",
        **sighting_fields(
            camera="$.Camera",
            similarity="$.Match.Similarity",
            max_similarity="$.MaxSimilarity",
            arrival_seconds="$.Now",
            face="$.Face",
            kinesis="$.Kinesis",
            frame="$.Frame",
            coalesced="$.Coalesced",
        ),
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
