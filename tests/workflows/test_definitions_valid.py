"""Both definitions pass statelint, and every aws-sdk Task's Parameters fit botocore's model."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from asl_checks import (
    aws_sdk_parameter_problems,
    indexing_settings,
    match_settings_combinations,
    statelint_problems,
)

from facewatch.workflows.indexing import build_indexing_definition
from facewatch.workflows.match import build_match_definition


def _definitions() -> list[tuple[str, dict[str, Any]]]:
    built = [("indexing", build_indexing_definition(indexing_settings()))]
    built += [
        (f"match-{label}", build_match_definition(s)) for label, s in match_settings_combinations()
    ]
    return built


DEFINITIONS = _definitions()
IDS = [label for label, _ in DEFINITIONS]


@pytest.mark.parametrize(("label", "definition"), DEFINITIONS, ids=IDS)
def test_statelint_passes(label: str, definition: dict[str, Any]) -> None:
    assert statelint_problems(definition) == []


@pytest.mark.parametrize(("label", "definition"), DEFINITIONS, ids=IDS)
def test_aws_sdk_parameters_match_botocore(label: str, definition: dict[str, Any]) -> None:
    assert aws_sdk_parameter_problems(definition) == []


def test_definitions_use_aws_sdk_tasks_so_the_check_is_not_vacuous() -> None:
    indexing = build_indexing_definition(indexing_settings())
    assert "rekognition:indexFaces" in str(indexing)
    broken = copy.deepcopy(indexing)
    broken["States"]["Index faces"]["Parameters"]["MaxFace"] = 1
    assert aws_sdk_parameter_problems(broken) != []


def test_validator_catches_a_wrong_parameter_name() -> None:
    definition = build_indexing_definition(indexing_settings())
    broken = copy.deepcopy(definition)
    params = broken["States"]["Index faces"]["Parameters"]
    params["ExternalImageID.$"] = params.pop("ExternalImageId.$")
    [problem] = aws_sdk_parameter_problems(broken)
    assert "Index faces" in problem and "'ExternalImageID'" in problem


def test_validator_catches_a_wrong_nested_name_and_a_bad_static_value() -> None:
    definition = build_indexing_definition(indexing_settings())
    broken = copy.deepcopy(definition)
    image = broken["States"]["Index faces"]["Parameters"]["Image"]["S3Object"]
    image["Key.$"] = image.pop("Name.$")
    broken["States"]["Index faces"]["Parameters"]["QualityFilter"] = "BEST"
    problems = "\n".join(aws_sdk_parameter_problems(broken))
    assert "'Key'" in problems
    assert "QualityFilter" in problems


def test_validator_catches_a_missing_required_parameter() -> None:
    definition = build_indexing_definition(indexing_settings())
    broken = copy.deepcopy(definition)
    del broken["States"]["Write object tags"]["Parameters"]["Tagging"]
    problems = "\n".join(aws_sdk_parameter_problems(broken))
    assert "Write object tags" in problems and "Tagging" in problems


def test_validator_catches_an_unknown_operation() -> None:
    definition = build_indexing_definition(indexing_settings())
    broken = copy.deepcopy(definition)
    broken["States"]["Index faces"]["Resource"] = "arn:aws:states:::aws-sdk:rekognition:indexFace"
    assert aws_sdk_parameter_problems(broken) != []


def test_statelint_catches_a_broken_definition() -> None:
    definition = build_indexing_definition(indexing_settings())
    broken = copy.deepcopy(definition)
    broken["States"]["Index faces"]["Next"] = "No such state"
    assert statelint_problems(broken) != []
