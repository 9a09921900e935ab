"""The indexing workflow names a person whatever an empty JSONPath wildcard evaluates to.

Each test runs twice (the ``empty_wildcard`` fixture, conftest.py): as moto evaluates such a
wildcard (``[]``) and with the state failing, the other behaviour AWS may have
(`jsonpath_behaviours`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest
from executions import wait_for_end
from indexing_harness import IndexingEnv, indexing_env
from jsonpath_behaviours import empty_wildcards_fail
from moto import mock_aws

from facewatch.workflows.indexing import external_image_id

KEY = "people/alex.jpg"


@pytest.fixture
def env(empty_wildcard: str) -> Iterator[IndexingEnv]:
    with indexing_env() as created:
        yield created


def _run_pass(parameters: dict[str, str], document: dict[str, object]) -> dict[str, object]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):  # type: ignore[arg-type]
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="probe",
            definition=json.dumps(
                {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}},
                }
            ),
            roleArn="arn:aws:iam::123456789012:role/probe",
        )["stateMachineArn"]
        started = sfn.start_execution(
            stateMachineArn=arn, name=f"probe-{uuid.uuid4()}", input=json.dumps(document)
        )
        return wait_for_end(sfn, started["executionArn"], timeout=30)


def test_moto_gives_an_empty_list_for_a_wildcard_matching_nothing() -> None:
    result = _run_pass({"x.$": "$.items[*].missing"}, {"items": [{"a": 1}]})
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"x": []}


def test_the_injected_behaviour_fails_such_a_wildcard() -> None:
    # The check that the other behaviour really is injected: otherwise the tests below
    # would run the same behaviour twice.
    with empty_wildcards_fail():
        result = _run_pass({"x.$": "$.items[*].missing"}, {"items": [{"a": 1}]})
    assert result["status"] == "FAILED"


def test_indexing_a_photo_with_only_a_name_tag(env: IndexingEnv) -> None:
    # given a photo whose name is in a `name` tag (no tag under its own key)
    env.upload_photo(KEY, faces=1, tags={"name": "Alex Lacamoire"})
    # when it is indexed
    assert env.created(KEY)["status"] == "SUCCEEDED"
    # then the face item is named by that tag
    item = env.registry_item(f"face#{external_image_id(KEY)}")
    assert item is not None
    assert item["PersonName"] == {"S": "Alex Lacamoire"}


def test_indexing_a_photo_with_only_its_key_tag(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1, tags={KEY: "Alex Lacamoire"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    item = env.registry_item(f"face#{external_image_id(KEY)}")
    assert item is not None
    assert item["PersonNameSource"] == {"S": "object-key-tag"}


def test_indexing_a_photo_whose_tags_name_nobody(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1, tags={"team": "band"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    item = env.registry_item(f"face#{external_image_id(KEY)}")
    assert item is not None
    assert "PersonName" not in item
    assert env.tags(KEY) == {"team": "band", "facewatch-status": "indexed"}


def test_indexing_a_photo_without_a_face(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=0, tags={"name": "Alex Lacamoire"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert env.tags(KEY)["facewatch-status"] == "no-face"
