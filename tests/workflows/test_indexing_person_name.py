"""Object Created: the indexing workflow stores the person's name on the registry's face item.

Same rule as the match workflow (workflows.person_name): the tag whose Key is the object key,
else a ``name`` tag, else no name (the match workflow then reads the tags itself).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from indexing_harness import IndexingEnv, indexing_env

from facewatch.workflows.indexing import external_image_id

KEY = "people/lin manuel/ü.jpg"


@pytest.fixture
def env() -> Iterator[IndexingEnv]:
    with indexing_env() as created:
        yield created


def _face_item(env: IndexingEnv, key: str) -> dict:
    item = env.registry_item(f"face#{external_image_id(key)}")
    assert item is not None
    return item


def test_key_tag_gives_the_stored_person_name(env: IndexingEnv) -> None:
    # given a photo tagged under its own key, and with a `name` tag too
    env.upload_photo(KEY, faces=1, tags={"name": "Someone Else", KEY: "Lin-Manuel Miranda"})
    # when it is indexed
    assert env.created(KEY)["status"] == "SUCCEEDED"
    # then the face item keeps the key and carries the key tag's name
    item = _face_item(env, KEY)
    assert item["ObjectKey"] == {"S": KEY}
    assert item["PersonName"] == {"S": "Lin-Manuel Miranda"}
    assert item["PersonNameSource"] == {"S": "object-key-tag"}


def test_name_tag_gives_the_stored_person_name(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1, tags={"team": "band", "name": "Alex Lacamoire"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    item = _face_item(env, KEY)
    assert item["PersonName"] == {"S": "Alex Lacamoire"}
    assert item["PersonNameSource"] == {"S": "name-tag"}


def test_photo_without_tags_has_no_stored_person_name(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1)
    assert env.created(KEY)["status"] == "SUCCEEDED"
    item = _face_item(env, KEY)
    assert item == {"pk": {"S": f"face#{external_image_id(KEY)}"}, "ObjectKey": {"S": KEY}}


def test_photo_with_unrelated_tags_has_no_stored_person_name(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1, tags={"team": "band"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert "PersonName" not in _face_item(env, KEY)
    assert env.tags(KEY) == {"team": "band", "facewatch-status": "indexed"}


def test_photo_without_a_face_stores_no_face_item_even_when_named(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=0, tags={KEY: "Lin-Manuel Miranda"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert env.registry_item(f"face#{external_image_id(KEY)}") is None
    assert env.tags(KEY) == {KEY: "Lin-Manuel Miranda", "facewatch-status": "no-face"}


def test_reupload_with_a_new_name_replaces_the_stored_name(env: IndexingEnv) -> None:
    env.upload_photo(KEY, faces=1, tags={"name": "Old Name"})
    env.created(KEY)
    env.upload_photo(KEY, faces=1, tags={"name": "New Name"})
    assert env.created(KEY)["status"] == "SUCCEEDED"
    assert _face_item(env, KEY)["PersonName"] == {"S": "New Name"}
