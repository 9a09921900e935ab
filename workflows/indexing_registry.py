"""Registry states of the indexing workflow (see `workflows.indexing`).

Order on Object Created: ``Format face ids`` -> tagging (`workflows.indexing_tags`, which
also resolves the person's name from the tags it reads) -> ``Has a face?`` -> the enrolled
name (below) -> the ``face#<ExternalImageId>`` item (ObjectKey, and PersonName +
PersonNameSource when a name is known) or its removal -> the ``key#<key>`` item ->
``Describe outcome``.

Enrolled names. An S3 tag value holds only letters, digits, spaces and ``_ . : / = + - @``
(at most 256 characters; moto accepts ASCII letters only), so "Conan O'Brien" or "Ben &
Jerry" cannot be a tag. `facewatch faces add` therefore writes, before the upload, the
registry item ``name#<object key>`` with ``PersonName`` (the name as typed, any Unicode
text) and ``TagValue`` (the tag-safe form it puts in the object-key tag, so the S3 console
still shows a readable name). The rule, for the face item's PersonName:

1. a ``name#`` item with both attributes and no name from the tags: its PersonName
   (source ``enrolment``);
2. a ``name#`` item whose TagValue equals the name the tags give: its PersonName (the tag is
   still the one `faces add` wrote);
3. otherwise the tags' name (`workflows.person_name`): a tag edited since the enrolment, or
   a photo uploaded without `faces add`, names the person as it always did.

Object Deleted removes the ``name#`` item with the others. Only GetItem/DeleteItem on the
registry table, which the workflow already needs: no new permission, and no intrinsic that
could fail on user data (a malformed item is ignored, rule 3).
"""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import State
from facewatch.workflows.indexing_asl import pass_state, pk, registry_write, task
from facewatch.workflows.person_name import PERSON_NAME_ATTRIBUTE, PERSON_NAME_SOURCE_ATTRIBUTE
from facewatch.workflows.settings import IndexingWorkflowSettings

# The registry item `facewatch faces add` writes before the upload (see the module docstring).
ENROLLED_NAME_PREFIX = "name#"
ENROLLED_TAG_ATTRIBUTE = "TagValue"
ENROLMENT_SOURCE = "enrolment"
FORGET_ENROLLED_NAME = "Forget enrolled name"
_ENROLLED = "$.person.enrolled.Item"


def registry_states(settings: IndexingWorkflowSettings) -> dict[str, State]:
    table = settings.registry_table
    face_item = {"pk": {"S.$": "$.object.faceItem"}, "ObjectKey": {"S.$": "$.object.key"}}
    return {
        # FaceIds as a DynamoDB list of strings: [{"S": id}, ...].
        "Format face ids": {
            "Type": "Map",
            "ItemsPath": "$.outcome.faceIds",
            "ItemSelector": {"S.$": "$$.Map.Item.Value"},
            "ItemProcessor": {
                "StartAt": "Face id item",
                "States": {"Face id item": {"Type": "Pass", "End": True}},
            },
            "ResultPath": "$.outcome.faceIdItems",
            "Next": "Prepare status tag",
        },
        "Has a face?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Or": [
                        {"Variable": "$.outcome.status", "StringEquals": "indexed"},
                        {"Variable": "$.outcome.status", "StringEquals": "several-faces"},
                    ],
                    "Next": "Read enrolled name",
                }
            ],
            "Default": "Forget old face mapping",
        },
        "Read enrolled name": task(
            "arn:aws:states:::dynamodb:getItem",
            {"TableName": table, "Key": _enrolled_name_key(), "ConsistentRead": True},
            "DynamoDB",
            ResultPath="$.person.enrolled",
            Next="Use enrolled name?",
        ),
        "Use enrolled name?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Or": [
                        {"Variable": f"{_ENROLLED}.{PERSON_NAME_ATTRIBUTE}.S", "IsPresent": False},
                        {"Variable": f"{_ENROLLED}.{ENROLLED_TAG_ATTRIBUTE}.S", "IsPresent": False},
                    ],
                    "Next": "Has a person name?",
                },
                {
                    "Variable": "$.person.name.Source",
                    "IsPresent": False,
                    "Next": "Save enrolled face",
                },
            ],
            "Default": "Compare name tag",
        },
        # The tags' name as a plain string: a Choice cannot read an array item (and moto never
        # matches an indexed path, see the guide), a Pass state can.
        "Compare name tag": pass_state(
            "Name tag unchanged?",
            Parameters={
                "tagName.$": "States.ArrayGetItem($.person.name.Candidates, 0)",
                "enrolledTag.$": f"{_ENROLLED}.{ENROLLED_TAG_ATTRIBUTE}.S",
            },
            ResultPath="$.person.comparison",
        ),
        "Name tag unchanged?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.person.comparison.tagName",
                    "StringEqualsPath": "$.person.comparison.enrolledTag",
                    "Next": "Save enrolled face",
                }
            ],
            "Default": "Has a person name?",
        },
        "Save enrolled face": registry_write(
            "putItem",
            table,
            {
                "Item": {
                    **face_item,
                    PERSON_NAME_ATTRIBUTE: {"S.$": f"{_ENROLLED}.{PERSON_NAME_ATTRIBUTE}.S"},
                    PERSON_NAME_SOURCE_ATTRIBUTE: {"S": ENROLMENT_SOURCE},
                },
            },
            "Save key mapping",
        ),
        "Has a person name?": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.person.name.Source", "IsPresent": True, "Next": "Save named face"}
            ],
            "Default": "Save face mapping",
        },
        # The name resolved from the tags (workflows.person_name) lets the match workflow skip
        # the tag lookup: one state from the face to its dedupe key.
        "Save named face": registry_write(
            "putItem",
            table,
            {
                "Item": {
                    **face_item,
                    PERSON_NAME_ATTRIBUTE: {
                        "S.$": "States.ArrayGetItem($.person.name.Candidates, 0)"
                    },
                    PERSON_NAME_SOURCE_ATTRIBUTE: {"S.$": "$.person.name.Source"},
                },
            },
            "Save key mapping",
        ),
        "Save face mapping": registry_write(
            "putItem", table, {"Item": face_item}, "Save key mapping"
        ),
        "Forget old face mapping": registry_write(
            "deleteItem", table, {"Key": pk("$.object.faceItem")}, "Save key mapping"
        ),
        "Save key mapping": registry_write(
            "putItem",
            table,
            {
                "Item": {
                    "pk": {"S.$": "$.object.keyItem"},
                    "ExternalImageId": {"S.$": "$.object.externalImageId"},
                    "FaceIds": {"L.$": "$.outcome.faceIdItems"},
                    "Status": {"S.$": "$.outcome.status"},
                    "UpdatedAt": {"S.$": "$$.State.EnteredTime"},
                },
            },
            "Describe outcome",
        ),
        FORGET_ENROLLED_NAME: registry_write(
            "deleteItem", table, {"Key": _enrolled_name_key()}, "Describe outcome"
        ),
    }


def _enrolled_name_key() -> dict[str, Any]:
    return pk(f"States.Format('{ENROLLED_NAME_PREFIX}{{}}', $.object.key)")
