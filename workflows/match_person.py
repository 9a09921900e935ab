"""Per detected face: best match, the person's name from the photo's S3 tags, dedupe.

Name resolution, cheapest first, with no Lambda: the registry item ``face#<ExternalImageId>``
gives the photo's object key; ``GetObjectTagging`` gives its tags. JSONPath cannot filter by a
value known only at run time (the object key), so an inline Map classifies the tags (at most
10 on an S3 object) with a Choice using ``StringEqualsPath``; wildcard paths then collect the
owner and ``name`` values. A missing mapping, a deleted photo or no usable tag falls back
to the ``name`` tag, then to the ExternalImageId: the alert is never lost for want of a name.

The person is resolved before dedupe, so several photos of one person share a dedupe key
(``person#<name>#<camera>``; camera names cannot contain ``#``).
"""

from __future__ import annotations

from typing import Any

from workflows.match_common import (
    CONDITIONAL_CHECK_FAILED,
    DYNAMODB_TRANSIENT,
    S3_NO_SUCH_KEY,
    S3_TRANSIENT,
    UNKNOWN_PERSON,
    State,
    catch_all,
    retry,
)
from workflows.settings import MatchWorkflowSettings

FIRST_PERSON_STATE = "CountMatches"
DEDUPE_STATE = "Dedupe"
NO_MATCH_STATE = "NoMatch"


def _person(name: str, identity: str) -> dict[str, Any]:
    return {
        "Name.$": name,
        "Identity.$": identity,
        "Similarity.$": "$.Match.Best.Similarity",
        "SimilarityText.$": "States.Format('similarity {}%', $.Match.Best.Similarity)",
        "ExternalImageId.$": "$.Match.Best.Face.ExternalImageId",
    }


def match_states(settings: MatchWorkflowSettings) -> dict[str, State]:
    """From the face's MatchedFaces to ``$.Person``; then `DEDUPE_STATE`."""
    object_key = "$.Registry.Item.ObjectKey.S"
    unknown_next = "UnknownPerson" if settings.unknown_face_alerts else NO_MATCH_STATE
    states: dict[str, State] = {
        FIRST_PERSON_STATE: {
            "Type": "Pass",
            # ArrayLength rather than a Choice on $.Face.MatchedFaces[0]: moto never matches
            # indexed paths in a Choice, and the count is valid on AWS too.
            "Parameters": {"Count.$": "States.ArrayLength($.Face.MatchedFaces)"},
            "ResultPath": "$.Matches",
            "Next": "HasMatch",
        },
        "HasMatch": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.Matches.Count", "NumericGreaterThan": 0, "Next": "PickBestMatch"}
            ],
            "Default": unknown_next,
        },
        NO_MATCH_STATE: {
            "Type": "Pass",
            "Comment": "Unknown faces are ignored (unknown_face_alerts is off).",
            "Result": {"Outcome": "no-match"},
            "End": True,
        },
        "PickBestMatch": {
            "Type": "Pass",
            # Rekognition lists MatchedFaces by similarity, highest first. ArrayGetItem gives
            # the object itself; a path like $.Face.MatchedFaces[0].Similarity would come back
            # wrapped in a list in moto.
            "Parameters": {"Best.$": "States.ArrayGetItem($.Face.MatchedFaces, 0)"},
            "ResultPath": "$.Match",
            "Next": "LookupPhoto",
        },
        "LookupPhoto": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {
                "TableName": settings.registry_table,
                "Key": {
                    "pk": {"S.$": "States.Format('face#{}', $.Match.Best.Face.ExternalImageId)"}
                },
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
        "RankTags": {
            "Type": "Map",
            "ItemsPath": "$.Tags.TagSet",
            "ItemSelector": {
                "Key.$": "$$.Map.Item.Value.Key",
                "Value.$": "$$.Map.Item.Value.Value",
                "ObjectKey.$": object_key,
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "ClassifyTag",
                "States": {
                    "ClassifyTag": {
                        "Type": "Choice",
                        "Choices": [
                            {
                                "Variable": "$.Key",
                                "StringEqualsPath": "$.ObjectKey",
                                "Next": "KeyTag",
                            },
                            {"Variable": "$.Key", "StringEquals": "name", "Next": "NameTag"},
                        ],
                        "Default": "OtherTag",
                    },
                    "KeyTag": {"Type": "Pass", "Parameters": {"Owner.$": "$.Value"}, "End": True},
                    "NameTag": {"Type": "Pass", "Parameters": {"Named.$": "$.Value"}, "End": True},
                    "OtherTag": {"Type": "Pass", "Result": {}, "End": True},
                },
            },
            # A wildcard path keeps only the items that have the field (an empty list if none):
            # no JSONPath filter needed, which statelint would reject.
            "ResultSelector": {
                "Owners.$": "$[*].Owner",
                "Names.$": "$[*].Named",
                "OwnerCount.$": "States.ArrayLength($[*].Owner)",
                "NameCount.$": "States.ArrayLength($[*].Named)",
            },
            "ResultPath": "$.TagRanks",
            "Next": "PickNameSource",
        },
        "PickNameSource": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.TagRanks.OwnerCount",
                    "NumericGreaterThan": 0,
                    "Next": "NameFromKeyTag",
                },
                {
                    "Variable": "$.TagRanks.NameCount",
                    "NumericGreaterThan": 0,
                    "Next": "NameFromNameTag",
                },
            ],
            "Default": "NameFromImageId",
        },
        "NameFromKeyTag": {
            "Type": "Pass",
            "Parameters": {"Candidates.$": "$.TagRanks.Owners", "Source": "object-key-tag"},
            "ResultPath": "$.NameChoice",
            "Next": "TakeName",
        },
        "NameFromNameTag": {
            "Type": "Pass",
            "Parameters": {"Candidates.$": "$.TagRanks.Names", "Source": "name-tag"},
            "ResultPath": "$.NameChoice",
            "Next": "TakeName",
        },
        "TakeName": {
            "Type": "Pass",
            "Parameters": {
                **_person(
                    "States.ArrayGetItem($.NameChoice.Candidates, 0)",
                    "States.Format('person#{}', States.ArrayGetItem($.NameChoice.Candidates, 0))",
                ),
                "Source.$": "$.NameChoice.Source",
            },
            "ResultPath": "$.Person",
            "Next": DEDUPE_STATE,
        },
        "NameFromImageId": {
            "Type": "Pass",
            "Parameters": {
                **_person(
                    "$.Match.Best.Face.ExternalImageId",
                    "States.Format('person#{}', $.Match.Best.Face.ExternalImageId)",
                ),
                "Source": "external-image-id",
            },
            "ResultPath": "$.Person",
            "Next": DEDUPE_STATE,
        },
    }
    if settings.unknown_face_alerts:
        del states[NO_MATCH_STATE]  # unreachable: statelint rejects states without a transition
        states["UnknownPerson"] = {
            "Type": "Pass",
            "Comment": "unknown_face_alerts: one alert per camera and dedupe window.",
            "Parameters": {
                "Name": UNKNOWN_PERSON,
                "Source": "unknown-face",
                "Identity": "unknown",
                "Similarity": None,
                "SimilarityText": "no match in the collection",
                "ExternalImageId": None,
            },
            "ResultPath": "$.Person",
            "Next": DEDUPE_STATE,
        }
    return states


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
                "pk": {"S.$": "States.Format('{}#{}', $.Person.Identity, $.Camera)"},
                "expiresAt": {"N.$": "States.Format('{}', $.ExpiresAt)"},
                "notifiedAt": {"N.$": now},
                "person": {"S.$": "$.Person.Name"},
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
