"""Object Deleted and unexpected events: the indexing workflow executed in moto."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from indexing_harness import IndexingEnv, indexing_env, s3_event

from facewatch.workflows.indexing import FAILED_STATE, FAILURE_ERROR, external_image_id

KEY = "people/alex lacamoire.jpg"
OTHER = "people/lin-manuel.jpg"


@pytest.fixture
def env() -> Iterator[IndexingEnv]:
    with indexing_env() as created:
        yield created


def test_deleted_photo_loses_its_faces_and_mappings(env: IndexingEnv) -> None:
    # given two indexed photos
    env.upload_photo(KEY, faces=1)
    env.created(KEY)
    env.upload_photo(OTHER, faces=1)
    env.created(OTHER)
    other_faces = env.rekognition.face_ids(env.settings.collection_id) - {
        e["S"] for e in env.registry_item(f"key#{KEY}")["FaceIds"]["L"]
    }
    # when one is deleted
    execution = env.deleted(KEY)
    # then its faces and both items are gone, the other photo is untouched
    assert execution["status"] == "SUCCEEDED"
    assert env.rekognition.face_ids(env.settings.collection_id) == other_faces
    assert env.registry_item(f"key#{KEY}") is None
    assert env.registry_item(f"face#{external_image_id(KEY)}") is None
    assert env.registry_item(f"key#{OTHER}") is not None
    assert env.registry_item(f"face#{external_image_id(OTHER)}") is not None
    deletions = [r for r in env.audit_records() if r["eventType"] == "Object Deleted"]
    assert [r["status"] for r in deletions] == ["removed"]


def test_deleted_photo_without_face_removes_its_key_mapping(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=0)
    env.created(KEY)
    execution = env.deleted(KEY)
    assert execution["status"] == "SUCCEEDED"
    assert env.registry_item(f"key#{KEY}") is None
    assert not [c for c in env.rekognition.calls if c[0] == "delete_faces"]


def test_deleting_an_unknown_key_is_a_clean_no_op(env: IndexingEnv) -> None:
    env.upload_photo(OTHER, faces=1)
    env.created(OTHER)
    faces_before = env.rekognition.face_ids(env.settings.collection_id)
    execution = env.run(s3_event("Object Deleted", env.settings.faces_bucket, "never/seen.jpg"))
    assert execution["status"] == "SUCCEEDED"
    assert env.rekognition.face_ids(env.settings.collection_id) == faces_before
    assert env.registry_item(f"key#{OTHER}") is not None
    assert not [c for c in env.rekognition.calls if c[0] == "delete_faces"]
    assert env.dead_letters() == []
    assert [r["status"] for r in env.audit_records() if r["eventType"] == "Object Deleted"] == [
        "unknown-key"
    ]


def test_event_of_another_bucket_goes_to_the_dead_letter_queue(env: IndexingEnv) -> None:
    execution = env.run(s3_event("Object Created", "someone-elses-bucket", KEY))
    assert execution["status"] == "FAILED"
    assert execution["error"] == FAILURE_ERROR
    [letter] = env.dead_letters()
    assert letter["workflow"] == "indexing"
    assert letter["executionArn"] == execution["executionArn"]
    assert letter["input"]["detail"]["bucket"]["name"] == "someone-elses-bucket"
    assert letter["error"]["Error"] == "facewatch.UnsupportedEvent"
    assert env.rekognition.calls == []


def test_malformed_event_goes_to_the_dead_letter_queue(env: IndexingEnv) -> None:
    execution = env.run({"detail-type": "Object Created", "detail": {"bucket": {}}})
    assert execution["status"] == "FAILED"
    assert FAILED_STATE in env.state_names(execution["executionArn"])
    [letter] = env.dead_letters()
    assert letter["error"]["Error"] == "facewatch.UnsupportedEvent"


def test_unexpected_rekognition_error_is_dead_lettered_and_audited(env: IndexingEnv) -> None:
    # given the collection is gone (ResourceNotFoundException is not an image problem)
    env.rekognition.collections.clear()
    env.upload_photo(KEY, faces=1, tags={"name": "Alex"})
    # when
    execution = env.created(KEY)
    # then
    assert execution["status"] == "FAILED"
    assert execution["error"] == FAILURE_ERROR
    [letter] = env.dead_letters()
    assert "ResourceNotFoundException" in letter["error"]["Error"]
    [record] = env.audit_records()
    assert record["status"] == "failed"
    assert record["key"] == KEY
    assert env.registry_item(f"key#{KEY}") is None
    assert env.tags(KEY) == {"name": "Alex"}


def test_other_event_type_of_the_faces_bucket_is_dead_lettered_and_audited(
    env: IndexingEnv,
) -> None:
    execution = env.run(s3_event("Object Restore Completed", env.settings.faces_bucket, KEY))
    assert execution["status"] == "FAILED"
    [letter] = env.dead_letters()
    assert letter["error"]["Error"] == "facewatch.UnsupportedEvent"
    [record] = env.audit_records()
    assert record["status"] == "failed"
    assert record["key"] == KEY
    assert record["eventType"] == "unknown"
