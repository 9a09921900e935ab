"""The person's name from a faces-bucket photo's S3 tags, as ASL states (JSONPath, no Lambda).

One rule, shared by the indexing workflow (which stores the name on the registry item
``face#<ExternalImageId>`` as ``PersonName``) and the match workflow (which resolves it from the
tags only for registry items without ``PersonName``): the tag whose Key equals the object key
gives the name (the original convention); else a ``name`` tag; else no name.

JSONPath cannot filter by a value known only at run time (the object key), so an inline Map
classifies the tags (at most 10 on an S3 object) with a Choice using ``StringEqualsPath``;
wildcard paths then collect the owner and ``name`` values.
"""

from __future__ import annotations

from dataclasses import dataclass

from facewatch.workflows.asl import State

# The registry item attributes the indexing workflow writes and the match workflow reads.
PERSON_NAME_ATTRIBUTE = "PersonName"
PERSON_NAME_SOURCE_ATTRIBUTE = "PersonNameSource"
KEY_TAG_SOURCE = "object-key-tag"
NAME_TAG_SOURCE = "name-tag"


@dataclass(frozen=True)
class NameStates:
    """The names of the four states, so each workflow keeps its own naming style."""

    rank: str = "RankTags"
    pick: str = "PickNameSource"
    key_tag: str = "NameFromKeyTag"
    name_tag: str = "NameFromNameTag"


def name_from_tags_states(
    *,
    tag_set: str,
    object_key: str,
    ranks_path: str,
    choice_path: str,
    found_next: str,
    none_next: str,
    names: NameStates = NameStates(),
) -> dict[str, State]:
    """States from ``names.rank`` on: rank the tags at ``tag_set`` (a non-empty TagSet).

    With a name, ``choice_path`` gets ``{"Candidates": [name, ...], "Source": ...}`` (the name
    is ``States.ArrayGetItem(<choice_path>.Candidates, 0)``) and the flow goes to
    ``found_next``; without one, straight to ``none_next``.
    """
    return {
        names.rank: {
            "Type": "Map",
            "ItemsPath": tag_set,
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
            "ResultPath": ranks_path,
            "Next": names.pick,
        },
        names.pick: {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": f"{ranks_path}.OwnerCount",
                    "NumericGreaterThan": 0,
                    "Next": names.key_tag,
                },
                {
                    "Variable": f"{ranks_path}.NameCount",
                    "NumericGreaterThan": 0,
                    "Next": names.name_tag,
                },
            ],
            "Default": none_next,
        },
        names.key_tag: {
            "Type": "Pass",
            "Parameters": {"Candidates.$": f"{ranks_path}.Owners", "Source": KEY_TAG_SOURCE},
            "ResultPath": choice_path,
            "Next": found_next,
        },
        names.name_tag: {
            "Type": "Pass",
            "Parameters": {"Candidates.$": f"{ranks_path}.Names", "Source": NAME_TAG_SOURCE},
            "ResultPath": choice_path,
            "Next": found_next,
        },
    }
