"""handlers/object_key.py: the URL-decoded form of an S3 event's object key."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import pytest

# The module, not its names: the local mode reloads handler modules (moto_plumbing), which
# would leave names imported here pointing at classes of the previous load.
from facewatch.handlers import object_key

KEYS = ["red flower.jpg", "a+b.jpg", "x=y@z:1.jpg", "people/Zoë Ünal.jpg", "100% me.png"]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("encode", [quote_plus, quote], ids=["form", "percent"])
def test_an_encoded_key_decodes_to_the_key(key: str, encode: object) -> None:
    encoded = encode(key, safe="/")  # type: ignore[operator]
    decoded = object_key.lambda_handler({"Key": encoded}, None)
    assert decoded == {"Key": key, "Changed": encoded != key}


def test_a_key_without_escapes_is_unchanged() -> None:
    assert object_key.lambda_handler({"Key": "people/lin.jpg"}, None) == {
        "Key": "people/lin.jpg",
        "Changed": False,
    }


def test_escapes_that_are_not_utf8_leave_the_key_unchanged() -> None:
    decoded = object_key.lambda_handler({"Key": "caf%E9.jpg"}, None)
    assert decoded == {"Key": "caf%E9.jpg", "Changed": False}


def test_input_without_a_key_is_refused_with_what_was_expected() -> None:
    with pytest.raises(object_key.NotAKey, match="expected"):
        object_key.lambda_handler({"key": "x"}, None)
