"""Tagging and audit states of the indexing workflow (see `workflows.indexing`)."""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import S3_PUT_CHECKSUM, State
from facewatch.workflows.indexing_asl import (
    AUDIT_PREFIX,
    FAILED_STATE,
    FAILURE_ERROR,
    STATUS_TAG,
    TO_FAILURE,
    aws_sdk,
    pass_state,
    task,
)
from facewatch.workflows.person_name import NameStates, name_from_tags_states
from facewatch.workflows.settings import IndexingWorkflowSettings

# Tagging comes before the registry items, so the face item can carry the person's name.
AFTER_TAGGING = "Has a face?"


def tagging_states(settings: IndexingWorkflowSettings) -> dict[str, State]:
    # Tag failures (e.g. an object that already has S3's maximum of 10 tags) do not undo the
    # indexing: they are recorded in the audit record under tagging.error (and, when the tags
    # could not be read, the face item has no PersonName: the match workflow reads the tags).
    tag_failure = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.tagging.error"}
    object_ref = {"Bucket": settings.faces_bucket, "Key.$": "$.object.key"}
    return {
        "Prepare status tag": pass_state(
            "Read object tags",
            Parameters={"statusTag": {"Key": STATUS_TAG, "Value.$": "$.outcome.status"}},
            ResultPath="$.tagging",
        ),
        "Read object tags": task(
            aws_sdk("s3", "getObjectTagging"),
            object_ref,
            "S3",
            ResultSelector={"TagSet.$": "$.TagSet", "count.$": "States.ArrayLength($.TagSet)"},
            ResultPath="$.tagging.current",
            Catch=[{**tag_failure, "Next": AFTER_TAGGING}],
            Next="Any tags?",
        ),
        "Any tags?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.tagging.current.count",
                    "NumericEquals": 0,
                    "Next": "Append status tag",
                }
            ],
            "Default": "Rank name tags",
        },
        # The person's name, by the match workflow's rule, for the registry's face item.
        **name_from_tags_states(
            tag_set="$.tagging.current.TagSet",
            object_key="$.object.key",
            ranks_path="$.person.ranks",
            choice_path="$.person.name",
            found_next="List tag keys",
            none_next="List tag keys",
            names=NameStates(
                "Rank name tags", "Pick name source", "Name from key tag", "Name from name tag"
            ),
        ),
        "List tag keys": pass_state(
            "Check status tag",
            Parameters={"keys.$": "$.tagging.current.TagSet[*].Key"},
            ResultPath="$.scratch.tags",
        ),
        "Check status tag": pass_state(
            "Has status tag?",
            Parameters={"present.$": f"States.ArrayContains($.scratch.tags.keys, '{STATUS_TAG}')"},
            ResultPath="$.scratch.tags",
        ),
        "Has status tag?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.scratch.tags.present",
                    "BooleanEquals": True,
                    "Next": "Replace status tag",
                }
            ],
            "Default": "Append status tag",
        },
        # Every other tag (the person's name tags) is kept as it is.
        "Replace status tag": {
            "Type": "Map",
            "ItemsPath": "$.tagging.current.TagSet",
            "ItemSelector": {"tag.$": "$$.Map.Item.Value", "statusTag.$": "$.tagging.statusTag"},
            "ItemProcessor": {
                "StartAt": "Is status tag?",
                "States": {
                    "Is status tag?": {
                        "Type": "Choice",
                        "Choices": [
                            {
                                "Variable": "$.tag.Key",
                                "StringEquals": STATUS_TAG,
                                "Next": "Use new status tag",
                            }
                        ],
                        "Default": "Keep tag",
                    },
                    "Use new status tag": {
                        "Type": "Pass",
                        "OutputPath": "$.statusTag",
                        "End": True,
                    },
                    "Keep tag": {"Type": "Pass", "OutputPath": "$.tag", "End": True},
                },
            },
            "ResultPath": "$.tagging.TagSet",
            "Next": "Write object tags",
        },
        # [[existing tags...], [status tag]], then flattened with [*][*].
        "Append status tag": pass_state(
            "Flatten tags",
            Parameters={
                "nested.$": "States.Array($.tagging.current.TagSet, "
                "States.Array($.tagging.statusTag))"
            },
            ResultPath="$.scratch.merge",
        ),
        "Flatten tags": pass_state(
            "Write object tags",
            InputPath="$.scratch.merge.nested[*][*]",
            ResultPath="$.tagging.TagSet",
        ),
        "Write object tags": task(
            aws_sdk("s3", "putObjectTagging"),
            {**object_ref, "Tagging": {"TagSet.$": "$.tagging.TagSet"}},
            "S3",
            ResultPath=None,
            Catch=[{**tag_failure, "Next": AFTER_TAGGING}],
            Next=AFTER_TAGGING,
        ),
    }


def audit_states(settings: IndexingWorkflowSettings) -> dict[str, State]:
    def write(next_state: str | None, catch_next: str) -> State:
        fields: dict[str, Any] = {"ResultPath": None}
        if next_state is None:
            fields.update(End=True, OutputPath="$.audit")
        else:
            fields["Next"] = next_state
        return task(
            aws_sdk("s3", "putObject"),
            {
                "Bucket": settings.audit_bucket,
                # Built here, not earlier, so that the static prefix scopes s3:PutObject.
                "Key.$": f"States.Format('{AUDIT_PREFIX}{{}}/{{}}.json', "
                "$.object.externalImageId, $$.Execution.Name)",
                "Body.$": "States.JsonToString($.audit)",
                "ContentType": "application/json",
                **S3_PUT_CHECKSUM,
            },
            "S3",
            Catch=[{**TO_FAILURE, "Next": catch_next}],
            **fields,
        )

    record = {
        "workflow": "indexing",
        "executionArn.$": "$$.Execution.Id",
        "recordedAt.$": "$$.State.EnteredTime",
        "eventType.$": "$.object.eventType",
        "bucket.$": "$.object.bucket",
        "key.$": "$.object.key",
        "externalImageId.$": "$.object.externalImageId",
    }
    return {
        "Describe outcome": pass_state(
            "Write audit record",
            Parameters={
                **record,
                "status.$": "$.outcome.status",
                "faceIds.$": "$.outcome.faceIds",
                "previousFaceIds.$": "$.previous.faceIds",
                "indexFaces.$": "$.indexing",
                "tagging.$": "$.tagging",
                "person.$": "$.person",
                "event.$": "$.event",
            },
            ResultPath="$.audit",
        ),
        "Write audit record": write(None, "Send failure"),
        "Send failure": task(
            "arn:aws:states:::sqs:sendMessage",
            {
                "QueueUrl": settings.dead_letter_queue_url,
                "MessageBody": {
                    "workflow": "indexing",
                    "executionArn.$": "$$.Execution.Id",
                    "error.$": "$.error",
                    "input.$": "$$.Execution.Input",
                },
            },
            "SQS",
            ResultPath=None,
            Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": FAILED_STATE}],
            Next="Can record failure?",
        ),
        "Can record failure?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.object.externalImageId",
                    "IsPresent": True,
                    "Next": "Describe failure",
                }
            ],
            "Default": FAILED_STATE,
        },
        "Describe failure": pass_state(
            "Write failure record",
            Parameters={**record, "status": "failed", "error.$": "$.error", "event.$": "$.event"},
            ResultPath="$.audit",
        ),
        "Write failure record": write(FAILED_STATE, FAILED_STATE),
        FAILED_STATE: {
            "Type": "Fail",
            "Error": FAILURE_ERROR,
            "Cause": "The event could not be handled; the dead-letter queue holds its context.",
        },
    }
