"""Registry states of the indexing workflow (see `workflows.indexing`).

Order on Object Created: ``Format face ids`` -> tagging (`workflows.indexing_tags`, which
also resolves the person's name from the tags it reads) -> ``Has a face?`` -> the
``face#<ExternalImageId>`` item (ObjectKey, and PersonName + PersonNameSource when the tags
name the person) or its removal -> the ``key#<key>`` item -> ``Describe outcome``.
"""

from __future__ import annotations

from workflows.asl import State
from workflows.indexing_asl import pk, registry_write
from workflows.person_name import PERSON_NAME_ATTRIBUTE, PERSON_NAME_SOURCE_ATTRIBUTE
from workflows.settings import IndexingWorkflowSettings


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
                    "Next": "Has a person name?",
                }
            ],
            "Default": "Forget old face mapping",
        },
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
    }
