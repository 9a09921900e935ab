"""`enrol` (behind `faces add`) returns once the registry holds the photo's faces.

The indexing workflow tags the photo with its outcome, THEN writes the registry: an enrolment
that returned on the tag alone left a moment in which the person's face was in the collection
but their name not yet resolvable (and `faces add` printed no face id). Fakes stand in for S3
and DynamoDB so the order is forced, not left to timing.
"""

from __future__ import annotations

from typing import Any

from facewatch.enrolment import Registry, enrol
from facewatch.workflows.indexing import STATUS_TAG

from .conftest import LIN, PHOTOS


class SlowRegistry:
    """DynamoDB whose `key#` item for the photo gains `faces` on the `after`-th read."""

    def __init__(self, faces: list[str], after: int, before: list[str] | None = None) -> None:
        self.faces, self.after, self.before = faces, after, before or []
        self.reads = 0

    def put_item(self, **_: Any) -> None:
        pass

    def get_item(self, *, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        if not Key["pk"]["S"].startswith("key#"):
            return {}
        self.reads += 1
        faces = self.faces if self.reads >= self.after else self.before
        return {"Item": {"FaceIds": {"L": [{"S": face} for face in faces]}}} if faces else {}


class TaggedS3:
    """S3 on which the photo is tagged `indexed` as soon as it is uploaded."""

    def put_object(self, **_: Any) -> None:
        pass

    def head_object(self, **_: Any) -> None:
        raise KeyError("no such key")  # a new photo

    def get_object_tagging(self, **_: Any) -> dict[str, Any]:
        return {"TagSet": [{"Key": STATUS_TAG, "Value": "indexed"}]}


def test_enrol_waits_for_the_registry_after_the_outcome_tag() -> None:
    # Given the outcome tag at once, and the registry's faces only at its 4th read
    registry = SlowRegistry(["face-1"], after=4)
    # When the photo is enrolled
    _, status = enrol(
        TaggedS3(), "faces", PHOTOS[LIN], LIN, timeout=10, registry=Registry(registry, "reg")
    )
    # Then it returned only once the registry held the face
    assert status == "indexed" and registry.reads >= 4


def test_a_re_upload_waits_for_the_new_faces_not_the_replaced_ones() -> None:
    # Given a photo enrolled before (face-0), whose new face appears at the 5th read
    registry = SlowRegistry(["face-1"], after=5, before=["face-0"])
    # When it is enrolled again
    enrol(TaggedS3(), "faces", PHOTOS[LIN], LIN, timeout=10, registry=Registry(registry, "reg"))
    # Then enrol waited past the replaced face
    assert registry.reads >= 5
