"""The indexing workflow finds the photo whether the event's key is raw or URL-encoded.

AWS documents the S3 -> EventBridge key as the key itself; S3's classic notifications and
some tools URL-encode it. Each test runs with the key as stored (``raw``), form-encoded
(``form``: space as ``+``, as S3's notifications do) and percent-encoded (``percent``:
space as ``%20``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest
from indexing_harness import IndexingEnv, indexing_env, s3_event

from facewatch.workflows.indexing import FAILURE_ERROR, external_image_id

KEYS = [
    "people/alex lacamoire.jpg",
    "people/a+b.jpg",
    "people/x=y@z:1.jpg",
    "people/Zoë Ünal.jpg",
    "people/mixed + = @ : ü.png",
]
SHAPES: dict[str, Callable[[str], str]] = {
    "raw": lambda key: key,
    "form": lambda key: quote_plus(key, safe="/"),
    "percent": lambda key: quote(key, safe="/"),
}


@pytest.fixture
def env() -> Iterator[IndexingEnv]:
    with indexing_env() as created:
        yield created


@pytest.fixture(params=list(SHAPES))
def shape(request: pytest.FixtureRequest) -> Callable[[str], str]:
    return SHAPES[request.param]


def _event(env: IndexingEnv, detail_type: str, key: str) -> dict[str, object]:
    return s3_event(detail_type, env.settings.faces_bucket, key)


@pytest.mark.parametrize("key", KEYS)
def test_created_photo_is_indexed_under_its_real_key(
    env: IndexingEnv, key: str, shape: Callable[[str], str]
) -> None:
    # given a photo stored under a key with spaces, + = @ : or non-ASCII letters
    env.upload_photo(key, faces=1, tags={"name": "Alex Lacamoire"})
    # when its Object Created event carries the key in this shape
    execution = env.run(_event(env, "Object Created", shape(key)))
    # then the photo is indexed under the key it is stored under
    assert execution["status"] == "SUCCEEDED"
    face_item = env.registry_item(f"face#{external_image_id(key)}")
    assert face_item is not None
    assert face_item["ObjectKey"] == {"S": key}
    assert face_item["PersonName"] == {"S": "Alex Lacamoire"}
    assert env.registry_item(f"key#{key}") is not None
    assert env.tags(key)["facewatch-status"] == "indexed"
    [record] = env.audit_records()
    assert (record["key"], record["status"]) == (key, "indexed")


@pytest.mark.parametrize("key", KEYS)
def test_deleted_photo_is_forgotten_under_its_real_key(
    env: IndexingEnv, key: str, shape: Callable[[str], str]
) -> None:
    # given an indexed photo
    env.upload_photo(key, faces=1)
    assert env.created(key)["status"] == "SUCCEEDED"
    # when it is deleted and the event carries the key in this shape
    env.s3.delete_object(Bucket=env.settings.faces_bucket, Key=key)
    execution = env.run(_event(env, "Object Deleted", shape(key)))
    # then its faces and registry items are gone
    assert execution["status"] == "SUCCEEDED"
    assert env.rekognition.face_ids(env.settings.collection_id) == set()
    assert env.registry_item(f"key#{key}") is None
    assert env.registry_item(f"face#{external_image_id(key)}") is None
    deletions = [r for r in env.audit_records() if r["eventType"] == "Object Deleted"]
    assert [(r["key"], r["status"]) for r in deletions] == [(key, "removed")]


def test_a_raw_key_is_not_decoded(env: IndexingEnv) -> None:
    # given a photo whose stored key holds '+' and a '%2B' that would decode differently
    key = "people/a+b%2Bc.jpg"
    env.upload_photo(key, faces=1)
    # when the event carries it raw
    execution = env.run(_event(env, "Object Created", key))
    # then it is indexed at the first try, without asking for the decoded form
    assert execution["status"] == "SUCCEEDED"
    assert "Decode key" not in env.state_names(execution["executionArn"])
    assert env.registry_item(f"key#{key}") is not None


def test_missing_photo_without_escapes_fails_without_decoding(env: IndexingEnv) -> None:
    # given no object under a key with nothing to decode
    key = "people/gone.jpg"
    # when its Object Created event arrives
    execution = env.run(_event(env, "Object Created", key))
    # then the execution fails as before, recorded, and no decoding was tried
    assert execution["status"] == "FAILED"
    assert execution["error"] == FAILURE_ERROR
    assert "Decode key" not in env.state_names(execution["executionArn"])
    [letter] = env.dead_letters()
    assert "InvalidS3ObjectException" in letter["error"]["Error"]
    assert [r["status"] for r in env.audit_records()] == ["failed"]


def test_missing_photo_whose_decoded_key_is_missing_too_fails_once(env: IndexingEnv) -> None:
    # given no object under either form of the key
    execution = env.run(_event(env, "Object Created", "people/no+such+photo.jpg"))
    # then the decoded key was tried once, and the failure is recorded under it
    assert execution["status"] == "FAILED"
    states = env.state_names(execution["executionArn"])
    assert states.count("Decode key") == 1
    assert states.count("Index faces") == 2
    [letter] = env.dead_letters()
    assert "InvalidS3ObjectException" in letter["error"]["Error"]
    [record] = env.audit_records()
    assert (record["key"], record["status"]) == ("people/no such photo.jpg", "failed")


def test_deleting_an_unknown_encoded_key_is_a_clean_no_op(env: IndexingEnv) -> None:
    execution = env.run(_event(env, "Object Deleted", "people/never+indexed.jpg"))
    assert execution["status"] == "SUCCEEDED"
    assert env.dead_letters() == []
    assert [(r["key"], r["status"]) for r in env.audit_records()] == [
        ("people/never indexed.jpg", "unknown-key")
    ]
