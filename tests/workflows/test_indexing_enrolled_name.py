"""The indexing workflow's enrolled names: the registry item ``name#<key>`` that `faces add`
writes for a name S3 tags cannot hold (rule in `workflows.indexing_registry`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from indexing_harness import IndexingEnv, indexing_env

from facewatch.workflows.indexing import external_image_id

KEY = "people/conan/photo.jpg"
NAME = "Conan O'Brien & <b>Rosé</b> 🎤"
TAG_FORM = "Conan O-Brien - b Rose -b"


@pytest.fixture
def env() -> Iterator[IndexingEnv]:
    with indexing_env() as created:
        yield created


def _enrol_name(env: IndexingEnv, key: str, item: dict[str, dict[str, str]]) -> None:
    env.dynamodb.put_item(
        TableName=env.settings.registry_table, Item={"pk": {"S": f"name#{key}"}, **item}
    )


def _enrolled(name: str = NAME, tag: str = TAG_FORM) -> dict[str, dict[str, str]]:
    return {"PersonName": {"S": name}, "TagValue": {"S": tag}}


def _face_item(env: IndexingEnv, key: str = KEY) -> dict:
    item = env.registry_item(f"face#{external_image_id(key)}")
    assert item is not None
    return item


def test_enrolled_name_wins_while_the_tag_holds_its_tag_form(env: IndexingEnv) -> None:
    # given `faces add`'s registry item and its tag-safe form as the object-key tag
    _enrol_name(env, KEY, _enrolled())
    env.upload_photo(KEY, faces=1, tags={KEY: TAG_FORM})
    # when the photo is indexed
    assert env.created(KEY)["status"] == "SUCCEEDED"
    # then the face item carries the full name, from the enrolment
    item = _face_item(env)
    assert item["PersonName"] == {"S": NAME}
    assert item["PersonNameSource"] == {"S": "enrolment"}


def test_enrolled_name_wins_when_the_tag_holds_the_name_itself(env: IndexingEnv) -> None:
    # given AWS's Unicode tags: the tag could hold "Rosé" and `faces add` wrote it as is
    _enrol_name(env, KEY, _enrolled("Rosé", "Rosé"))
    env.upload_photo(KEY, faces=1, tags={KEY: "Rosé"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert _face_item(env)["PersonName"] == {"S": "Rosé"}


def test_enrolled_name_is_used_for_a_photo_without_name_tags(env: IndexingEnv) -> None:
    _enrol_name(env, KEY, _enrolled())
    env.upload_photo(KEY, faces=1)
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert _face_item(env)["PersonName"] == {"S": NAME}


def test_a_tag_edited_since_the_enrolment_wins(env: IndexingEnv) -> None:
    # given the object-key tag changed in the S3 console after `faces add`
    _enrol_name(env, KEY, _enrolled())
    env.upload_photo(KEY, faces=1, tags={KEY: "Conan OBrien"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    item = _face_item(env)
    assert item["PersonName"] == {"S": "Conan OBrien"}
    assert item["PersonNameSource"] == {"S": "object-key-tag"}


def test_a_malformed_name_item_is_ignored_not_a_crash(env: IndexingEnv) -> None:
    # given a name item without TagValue (not written by `faces add`)
    _enrol_name(env, KEY, {"PersonName": {"S": NAME}})
    env.upload_photo(KEY, faces=1, tags={"name": "Conan"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert _face_item(env)["PersonName"] == {"S": "Conan"}


def test_without_any_name_the_face_item_has_no_person_name(env: IndexingEnv) -> None:
    _enrol_name(env, "people/someone-else.jpg", _enrolled())
    env.upload_photo(KEY, faces=1)
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert "PersonName" not in _face_item(env)


def test_deleting_the_photo_forgets_the_enrolled_name(env: IndexingEnv) -> None:
    _enrol_name(env, KEY, _enrolled())
    env.upload_photo(KEY, faces=1, tags={KEY: TAG_FORM})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert env.deleted(KEY)["status"] == "SUCCEEDED"
    assert env.registry_item(f"name#{KEY}") is None
    assert env.registry_item(f"key#{KEY}") is None


def test_deleting_an_unindexed_key_forgets_its_enrolled_name(env: IndexingEnv) -> None:
    # given a name item whose photo was never indexed (e.g. `faces add --no-wait`, then removed)
    _enrol_name(env, KEY, _enrolled())
    assert env.deleted(KEY)["status"] == "SUCCEEDED"
    assert env.registry_item(f"name#{KEY}") is None
    assert [r["status"] for r in env.audit_records()] == ["unknown-key"]
