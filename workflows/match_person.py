"""Per matched face: the person's name, then dedupe; and the unknown-face person.

Fast path (the photo was indexed with a name, `workflows.person_name`): one DynamoDB state
gives the name stored on the registry item ``face#<ExternalImageId>``, so a suppressed
duplicate enters three states in its face branch: ``LookupPerson`` -> ``Dedupe`` ->
``WriteSuppressedAudit``. ``LookupPerson`` is a *conditional* UpdateItem (``SET LastMatchedAt``
when ``PersonName`` exists) rather than a GetItem because a Task can branch only through
``Catch``: a GetItem would need a Choice on ``PersonName`` (a fourth state), and JSONPath cannot
default a missing attribute (a missing path fails the execution with ``States.Runtime``,
which no Catch handles). The failed condition is the branch to the slow path.

Slow path (a registry item without ``PersonName``: indexed before names were stored, or its
tags could not be read; no mapping at all): the item's ObjectKey, ``GetObjectTagging``, the
shared tag-ranking states. A missing mapping, a deleted photo or no usable tag falls back to
the ExternalImageId: the alert is never lost for want of a name.

The person is resolved before dedupe, so several photos of one person share a dedupe key
(``person#<name>#<camera>``; camera names cannot contain ``#``). It is written into
``$.Sighting.person``: ``$.Sighting`` (built by the face Map's ItemSelector) is the match
context the suppressed audit record is made of.
"""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import DYNAMODB_TRANSIENT, S3_TRANSIENT, State, catch_all, retry
from facewatch.workflows.match_common import (
    CONDITIONAL_CHECK_FAILED,
    S3_NO_SUCH_KEY,
    UNKNOWN_PERSON,
)
from facewatch.workflows.person_name import (
    PERSON_NAME_ATTRIBUTE,
    PERSON_NAME_SOURCE_ATTRIBUTE,
    name_from_tags_states,
)
from facewatch.workflows.settings import MatchWorkflowSettings

FIRST_PERSON_STATE = "LookupPerson"
UNKNOWN_PERSON_STATE = "Person"  # "UnknownPerson" once workflows.match prefixes its Map
DEDUPE_STATE = "Dedupe"
PERSON = "$.Sighting.person"


def _person(name: str) -> dict[str, Any]:
    return {"Name.$": name, "Identity.$": f"States.Format('person#{{}}', {name})"}


def match_states(settings: MatchWorkflowSettings) -> dict[str, State]:
    """From a matched face (``$.Match``) to ``$.Sighting.person``; then `DEDUPE_STATE`."""
    object_key = "$.Registry.Item.ObjectKey.S"
    stored = f"$.Attributes.{PERSON_NAME_ATTRIBUTE}.S"
    return {
        FIRST_PERSON_STATE: {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {
                "TableName": settings.registry_table,
                "Key": {"pk": {"S.$": "States.Format('face#{}', $.Match.ExternalImageId)"}},
                # The write is the price of branching without a Choice (module docstring);
                # it records when the photo last matched. Never creates an item.
                "UpdateExpression": "SET LastMatchedAt = :now",
                "ConditionExpression": f"attribute_exists({PERSON_NAME_ATTRIBUTE}) AND "
                f"attribute_exists({PERSON_NAME_SOURCE_ATTRIBUTE})",
                "ExpressionAttributeValues": {":now": {"N.$": "States.Format('{}', $.Now)"}},
                "ReturnValues": "ALL_NEW",
            },
            "ResultSelector": {
                "Name.$": stored,
                "Identity.$": f"States.Format('person#{{}}', {stored})",
                "Source.$": f"$.Attributes.{PERSON_NAME_SOURCE_ATTRIBUTE}.S",
            },
            "ResultPath": PERSON,
            "Retry": retry(DYNAMODB_TRANSIENT),
            "Catch": [
                {
                    "ErrorEquals": [CONDITIONAL_CHECK_FAILED],
                    "ResultPath": "$.NoStoredName",
                    "Next": "LookupPhoto",
                },
                catch_all("LookupPhoto", "$.LookupFailure"),
            ],
            "Next": DEDUPE_STATE,
        },
        "LookupPhoto": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {
                "TableName": settings.registry_table,
                "Key": {"pk": {"S.$": "States.Format('face#{}', $.Match.ExternalImageId)"}},
                "ProjectionExpression": "ObjectKey",
            },
            "ResultPath": "$.Registry",
            "Retry": retry(DYNAMODB_TRANSIENT),
            "Catch": [catch_all("NameFromImageId", "$.LookupFailure")],
            "Next": "HasPhotoKey",
        },
        "HasPhotoKey": {
            "Type": "Choice",
            "Choices": [{"Variable": object_key, "IsPresent": True, "Next": "ReadPhotoTags"}],
            "Default": "NameFromImageId",
        },
        "ReadPhotoTags": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:getObjectTagging",
            "Parameters": {"Bucket": settings.faces_bucket, "Key.$": object_key},
            "ResultSelector": {
                "TagSet.$": "$.TagSet",
                "Count.$": "States.ArrayLength($.TagSet)",
            },
            "ResultPath": "$.Tags",
            "Retry": retry(S3_TRANSIENT),
            "Catch": [
                {
                    "ErrorEquals": S3_NO_SUCH_KEY,
                    "ResultPath": "$.TagsFailure",
                    "Next": "NameFromImageId",
                },
                catch_all("NameFromImageId", "$.TagsFailure"),
            ],
            "Next": "HasTags",
        },
        "HasTags": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.Tags.Count", "NumericGreaterThan": 0, "Next": "RankTags"}],
            "Default": "NameFromImageId",
        },
        **name_from_tags_states(
            tag_set="$.Tags.TagSet",
            object_key=object_key,
            ranks_path="$.TagRanks",
            choice_path="$.NameChoice",
            found_next="TakeName",
            none_next="NameFromImageId",
        ),
        "TakeName": {
            "Type": "Pass",
            "Parameters": {
                **_person("States.ArrayGetItem($.NameChoice.Candidates, 0)"),
                "Source.$": "$.NameChoice.Source",
            },
            "ResultPath": PERSON,
            "Next": DEDUPE_STATE,
        },
        "NameFromImageId": {
            "Type": "Pass",
            "Parameters": {**_person("$.Match.ExternalImageId"), "Source": "external-image-id"},
            "ResultPath": PERSON,
            "Next": DEDUPE_STATE,
        },
    }


def unknown_person_states() -> dict[str, State]:
    """unknown_face_alerts: the face branch of a face without matches; then `DEDUPE_STATE`."""
    return {
        UNKNOWN_PERSON_STATE: {
            "Type": "Pass",
            "Comment": "unknown_face_alerts: one alert per camera and dedupe window.",
            "Result": {"Name": UNKNOWN_PERSON, "Source": "unknown-face", "Identity": "unknown"},
            "ResultPath": PERSON,
            "Next": DEDUPE_STATE,
        }
    }


def dedupe_state(
    settings: MatchWorkflowSettings,
    *,
    notified_next: str,
    suppressed_next: str,
    unavailable_next: str,
) -> State:
    """Conditional PutItem: the first sighting per person x camera and window wins.

    TTL deletion is lazy (up to days), so the condition itself checks expiry. "Now" is the
    record's arrival time (ASL has no epoch clock; event time also keeps replays honest).
    """
    now = "States.Format('{}', $.Now)"
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {
            "TableName": settings.dedupe_table,
            "Item": {
                "pk": {"S.$": f"States.Format('{{}}#{{}}', {PERSON}.Identity, $.Camera)"},
                "expiresAt": {"N.$": "States.Format('{}', $.ExpiresAt)"},
                "notifiedAt": {"N.$": now},
                "person": {"S.$": f"{PERSON}.Name"},
                "camera": {"S.$": "$.Camera"},
                "executionArn": {"S.$": "$$.Execution.Id"},
            },
            "ConditionExpression": "attribute_not_exists(pk) OR expiresAt <= :now",
            "ExpressionAttributeValues": {":now": {"N.$": now}},
        },
        "ResultSelector": {"Outcome": "notified"},
        "ResultPath": "$.Dedupe",
        "Retry": retry(DYNAMODB_TRANSIENT),
        "Catch": [
            # The optimised DynamoDB integration names errors the same on AWS and in moto.
            {
                "ErrorEquals": [CONDITIONAL_CHECK_FAILED],
                "ResultPath": "$.Duplicate",
                "Next": suppressed_next,
            },
            # Fail open: a dedupe-table outage must not swallow the alert.
            catch_all(unavailable_next, "$.DedupeFailure"),
        ],
        "Next": notified_next,
    }
