"""The URL-decoded form of an S3 object key (the indexing workflow's fallback lookup).

AWS documents the key of an S3 -> EventBridge event as the key itself, while S3's classic
notifications URL-encode it ("red flower.jpg" arrives as "red+flower.jpg") and libraries
and tools differ on which one they hand over. The indexing workflow uses the key as given,
and only when no such object (or registry item) exists and the key holds ``%`` or ``+`` does
it ask this function for the decoded form, which the Amazon States Language cannot compute.

Input ``{"Key": <key as the event gave it>}``; output ``{"Key": <decoded>, "Changed": <bool>}``.
Standard library only: the function needs no AWS permission beyond its own logs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus


class NotAKey(ValueError):
    """The input has no ``Key`` string (a bug in the calling definition)."""


def decoded_key(key: str) -> dict[str, Any]:
    # unquote_plus: '+' is a space and %XX a UTF-8 byte, as S3's notifications encode keys
    # (application/x-www-form-urlencoded); %20 for a space decodes the same way.
    try:
        decoded = unquote_plus(key, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        # %XX sequences that are not UTF-8: not an encoded key, so nothing to retry with.
        decoded = key
    return {"Key": decoded, "Changed": decoded != key}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    key = event.get("Key") if isinstance(event, dict) else None
    if not isinstance(key, str):
        raise NotAKey(f"expected {{'Key': <string>}}, got {event!r:.200}")
    return decoded_key(key)
