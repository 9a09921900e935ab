"""Object Created: the indexing workflow executed in moto with the fake Rekognition backend."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fake_rekognition import FACES_MARKER
from indexing_harness import IndexingEnv, indexing_env

from facewatch.workflows.indexing import audit_key, external_image_id

KEY = "people/lin-manuel.jpg"
NAME_TAGS = {KEY: "Lin-Manuel Miranda", "name": "Lin"}


@pytest.fixture
def env() -> Iterator[IndexingEnv]:
    with indexing_env() as created:
        yield created


def _face_ids(item: dict | None) -> list[str]:
    assert item is not None
    return [entry["S"] for entry in item["FaceIds"]["L"]]


def test_photo_with_one_face_is_indexed_and_registered(env: IndexingEnv) -> None:
    # given
    env.upload_photo(KEY, faces=1)
    # when
    execution = env.created(KEY)
    # then
    assert execution["status"] == "SUCCEEDED"
    eid = external_image_id(KEY)
    collection = env.rekognition.face_ids(env.settings.collection_id)
    key_item = env.registry_item(f"key#{KEY}")
    assert key_item is not None
    assert key_item["ExternalImageId"] == {"S": eid}
    assert key_item["Status"] == {"S": "indexed"}
    assert set(_face_ids(key_item)) == collection and len(collection) == 1
    assert env.registry_item(f"face#{eid}") == {"pk": {"S": f"face#{eid}"}, "ObjectKey": {"S": KEY}}


def test_index_faces_is_called_with_largest_face_and_auto_quality(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1)
    env.created(KEY)
    [(_, params)] = [c for c in env.rekognition.calls if c[0] == "index_faces"]
    assert params["Image"] == {"S3Object": {"Bucket": env.settings.faces_bucket, "Name": KEY}}
    assert params["ExternalImageId"] == external_image_id(KEY)
    assert params["MaxFaces"] == 1
    assert params["QualityFilter"] == "AUTO"


def test_status_tag_is_merged_with_the_name_tags(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1, tags=NAME_TAGS)
    env.created(KEY)
    assert env.tags(KEY) == {**NAME_TAGS, "facewatch-status": "indexed"}


def test_status_tag_is_added_to_an_untagged_photo(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1)
    env.created(KEY)
    assert env.tags(KEY) == {"facewatch-status": "indexed"}


def test_old_status_tag_is_replaced_and_name_tags_survive(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=0, tags={**NAME_TAGS, "facewatch-status": "indexed"})
    env.created(KEY)
    assert env.tags(KEY) == {**NAME_TAGS, "facewatch-status": "no-face"}


def test_only_status_tag_is_replaced(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1, tags={"facewatch-status": "not-an-image"})
    env.created(KEY)
    assert env.tags(KEY) == {"facewatch-status": "indexed"}


def test_audit_record_is_written_for_the_execution(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1)
    execution = env.created(KEY)
    execution_name = execution["executionArn"].rsplit(":", 1)[1]
    assert env.audit_keys() == [audit_key(KEY, execution_name)]
    [record] = env.audit_records()
    assert record["status"] == "indexed"
    assert record["key"] == KEY
    assert record["externalImageId"] == external_image_id(KEY)
    assert record["executionArn"] == execution["executionArn"]
    assert record["faceIds"] == sorted(env.rekognition.face_ids(env.settings.collection_id))
    assert record["event"]["detail"]["object"]["key"] == KEY


def test_reupload_replaces_the_faces_of_the_key(env: IndexingEnv) -> None:
    # given a key indexed once
    env.upload_photo(KEY, faces=1)
    env.created(KEY)
    old_faces = env.rekognition.face_ids(env.settings.collection_id)
    # when the key is uploaded again
    env.upload_photo(KEY, faces=1)
    execution = env.created(KEY)
    # then only the new face is in the collection and the registry
    assert execution["status"] == "SUCCEEDED"
    new_faces = env.rekognition.face_ids(env.settings.collection_id)
    assert len(new_faces) == 1 and not new_faces & old_faces
    assert set(_face_ids(env.registry_item(f"key#{KEY}"))) == new_faces
    assert ("delete_faces", {"FaceIds": sorted(old_faces)}) in env.rekognition.calls


def test_reupload_without_face_removes_old_face_and_mapping(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1)
    env.created(KEY)
    env.upload_photo(KEY, faces=0)
    execution = env.created(KEY)
    assert execution["status"] == "SUCCEEDED"
    assert env.rekognition.face_ids(env.settings.collection_id) == set()
    assert env.registry_item(f"face#{external_image_id(KEY)}") is None
    assert env.registry_item(f"key#{KEY}")["Status"] == {"S": "no-face"}


def test_photo_without_face_gets_visible_no_face_outcome(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=0, tags=NAME_TAGS)
    execution = env.created(KEY)
    assert execution["status"] == "SUCCEEDED"
    key_item = env.registry_item(f"key#{KEY}")
    assert key_item is not None
    assert key_item["Status"] == {"S": "no-face"}
    assert key_item["FaceIds"] == {"L": []}
    assert env.registry_item(f"face#{external_image_id(KEY)}") is None
    assert env.tags(KEY)["facewatch-status"] == "no-face"
    assert [r["status"] for r in env.audit_records()] == ["no-face"]
    assert env.dead_letters() == []


def test_photo_with_several_faces_indexes_the_largest_and_says_so(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=3)
    execution = env.created(KEY)
    assert execution["status"] == "SUCCEEDED"
    collection = env.rekognition.face_ids(env.settings.collection_id)
    assert len(collection) == 1
    key_item = env.registry_item(f"key#{KEY}")
    assert key_item["Status"] == {"S": "several-faces"}
    assert set(_face_ids(key_item)) == collection
    assert env.registry_item(f"face#{external_image_id(KEY)}") is not None
    assert env.tags(KEY)["facewatch-status"] == "several-faces"
    assert [r["status"] for r in env.audit_records()] == ["several-faces"]


def test_object_that_is_not_an_image_gets_not_an_image_outcome(env: IndexingEnv) -> None:
    env.upload(KEY, b"%PDF-1.7 definitely not a photo", tags=NAME_TAGS)
    execution = env.created(KEY)
    assert execution["status"] == "SUCCEEDED"
    assert env.registry_item(f"key#{KEY}")["Status"] == {"S": "not-an-image"}
    assert env.tags(KEY) == {**NAME_TAGS, "facewatch-status": "not-an-image"}
    [record] = env.audit_records()
    assert record["status"] == "not-an-image"
    assert "InvalidImageFormatException" in record["indexFaces"]["error"]["Error"]
    assert env.dead_letters() == []


def test_photo_over_15_mb_gets_image_too_large_outcome(env: IndexingEnv) -> None:
    # given a photo with a face but 16 MB, uploaded without `faces add` (which would shrink it)
    padded = json.dumps({FACES_MARKER: 1, "padding": "x" * (16 * 1024 * 1024)}).encode()
    env.upload(KEY, padded, tags=NAME_TAGS)
    # when it is indexed
    execution = env.created(KEY)
    # then the outcome names the real cause, everywhere it is recorded
    assert execution["status"] == "SUCCEEDED"
    assert env.registry_item(f"key#{KEY}")["Status"] == {"S": "image-too-large"}
    assert env.tags(KEY) == {**NAME_TAGS, "facewatch-status": "image-too-large"}
    [record] = env.audit_records()
    assert record["status"] == "image-too-large"
    assert "ImageTooLargeException" in record["indexFaces"]["error"]["Error"]
    assert env.registry_item(f"face#{external_image_id(KEY)}") is None
    assert env.dead_letters() == []


@pytest.mark.parametrize(
    "key",
    [
        "photo with spaces.jpg",
        "a/deeply/nested/path/photo.png",
        "personnes/Zoë Saldaña - été 2024.jpg",
        "人物/林-曼努尔.jpg",
        "odd {braces} 'quotes' + plus & amp=%20.jpg",
    ],
)
def test_awkward_keys_are_indexed_under_the_python_external_image_id(
    env: IndexingEnv, key: str
) -> None:
    env.upload_photo(key, faces=1, tags={"name": "Someone"})
    execution = env.created(key)
    assert execution["status"] == "SUCCEEDED"
    eid = external_image_id(key)
    assert env.rekognition.calls[0][1]["ExternalImageId"] == eid
    assert env.registry_item(f"face#{eid}")["ObjectKey"] == {"S": key}
    assert env.registry_item(f"key#{key}")["ExternalImageId"] == {"S": eid}
    assert env.tags(key) == {"name": "Someone", "facewatch-status": "indexed"}


def test_external_image_id_is_valid_for_rekognition() -> None:
    for key in ["a", "x" * 1024, "é/ü ü", "人物/林.jpg", "../..//"]:
        eid = external_image_id(key)
        assert re.fullmatch(r"[a-zA-Z0-9_.\-:]+", eid)
        assert len(eid) <= 255


def test_external_image_id_tells_keys_apart() -> None:
    assert external_image_id("a/b.jpg") != external_image_id("a b.jpg")
    assert external_image_id("a/b.jpg") == external_image_id("a/b.jpg")
