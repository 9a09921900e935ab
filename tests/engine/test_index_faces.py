"""IndexFaces: records, errors, MaxFaces and QualityFilter."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from PIL import Image

from facewatch.engine import FaceEngine
from facewatch.engine.errors import (
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidParameterException,
    ResourceNotFoundException,
)

from .conftest import LIN, png_bytes


def test_index_faces_records_the_face(engine: FaceEngine, lin_bytes: bytes) -> None:
    # When a photo of one person is indexed with an ExternalImageId
    response = engine.index_faces(
        CollectionId="faces", Image={"Bytes": lin_bytes}, ExternalImageId=LIN
    )

    # Then one face is recorded with Rekognition's fields
    assert response["UnindexedFaces"] == []
    assert response["FaceModelVersion"]
    [record] = response["FaceRecords"]
    face = record["Face"]
    assert uuid.UUID(face["FaceId"]).version == 4
    assert uuid.UUID(face["ImageId"]).version == 4
    assert face["ExternalImageId"] == LIN
    assert 90 <= face["Confidence"] <= 100
    box = face["BoundingBox"]
    assert 0 <= box["Left"] < box["Left"] + box["Width"] <= 1
    assert 0 <= box["Top"] < box["Top"] + box["Height"] <= 1
    assert record["FaceDetail"]["BoundingBox"] == box
    assert {mark["Type"] for mark in record["FaceDetail"]["Landmarks"]} == {
        "eyeLeft",
        "eyeRight",
        "nose",
    }


def test_indexed_face_is_listed(engine: FaceEngine, lin_bytes: bytes) -> None:
    # Given a face indexed
    response = engine.index_faces(CollectionId="faces", Image={"Bytes": lin_bytes})

    # When the collection's faces are listed
    faces = engine.list_faces(CollectionId="faces")["Faces"]

    # Then the listed face is the indexed one, without an ExternalImageId
    assert faces == [response["FaceRecords"][0]["Face"]]
    assert "ExternalImageId" not in faces[0]


def test_index_into_unknown_collection_is_not_found(tmp_path, lin_bytes: bytes) -> None:
    with pytest.raises(ResourceNotFoundException):
        FaceEngine(tmp_path).index_faces(CollectionId="nobody", Image={"Bytes": lin_bytes})


@pytest.mark.parametrize("bad_id", ["Lin Manuel", "name/with/slash", "é", "x" * 256, ""])
def test_invalid_external_image_id_is_refused(
    engine: FaceEngine, lin_bytes: bytes, bad_id: str
) -> None:
    # When a face is indexed with an ExternalImageId outside [a-zA-Z0-9_.\-:]{1,255}
    with pytest.raises(InvalidParameterException, match="ExternalImageId"):
        engine.index_faces(CollectionId="faces", Image={"Bytes": lin_bytes}, ExternalImageId=bad_id)

    # Then nothing was indexed
    assert engine.describe_collection(CollectionId="faces")["FaceCount"] == 0


def test_longest_valid_external_image_id_is_accepted(engine: FaceEngine, lin_bytes: bytes) -> None:
    external_id = "a:b.c-d_" + "x" * 247
    response = engine.index_faces(
        CollectionId="faces", Image={"Bytes": lin_bytes}, ExternalImageId=external_id
    )
    assert response["FaceRecords"][0]["Face"]["ExternalImageId"] == external_id


def test_bytes_that_are_not_an_image_are_refused(engine: FaceEngine) -> None:
    with pytest.raises(InvalidImageFormatException) as raised:
        engine.index_faces(CollectionId="faces", Image={"Bytes": b"%PDF-1.4 not a photo"})
    assert raised.value.code == "InvalidImageFormatException"


def test_image_in_an_unsupported_format_is_refused(engine: FaceEngine, lin_rgb) -> None:
    # Given a real image, but as GIF (Rekognition takes JPEG and PNG only)
    import io

    buffer = io.BytesIO()
    Image.fromarray(lin_rgb).save(buffer, format="GIF")

    with pytest.raises(InvalidImageFormatException):
        engine.index_faces(CollectionId="faces", Image={"Bytes": buffer.getvalue()})


def test_image_over_5_mb_is_refused(engine: FaceEngine) -> None:
    with pytest.raises(ImageTooLargeException):
        engine.index_faces(CollectionId="faces", Image={"Bytes": b"\xff" * (5 * 1024 * 1024 + 1)})


def test_image_needs_bytes_or_s3_object(engine: FaceEngine, lin_bytes: bytes) -> None:
    with pytest.raises(InvalidParameterException):
        engine.index_faces(
            CollectionId="faces",
            Image={"Bytes": lin_bytes, "S3Object": {"Bucket": "b", "Name": "k"}},
        )


def test_photo_without_face_indexes_nothing(engine: FaceEngine, blank_png: bytes) -> None:
    # When a photo without a face is indexed
    response = engine.index_faces(CollectionId="faces", Image={"Bytes": blank_png})

    # Then no face is recorded, and that is not an error (as Rekognition)
    assert response["FaceRecords"] == []
    assert response["UnindexedFaces"] == []
    assert engine.describe_collection(CollectionId="faces")["FaceCount"] == 0


def test_max_faces_indexes_the_largest_face(engine: FaceEngine, two_people_png: bytes) -> None:
    # Given a photo with Lin's larger face on the left and Alex's smaller one on the right
    # When it is indexed with MaxFaces=1
    response = engine.index_faces(CollectionId="faces", Image={"Bytes": two_people_png}, MaxFaces=1)

    # Then the larger face is indexed and the other is reported as exceeding MaxFaces
    [record] = response["FaceRecords"]
    [unindexed] = response["UnindexedFaces"]
    assert record["Face"]["BoundingBox"]["Left"] < 0.5
    assert unindexed["Reasons"] == ["EXCEEDS_MAX_FACES"]
    assert unindexed["FaceDetail"]["BoundingBox"]["Left"] > 0.5
    assert engine.describe_collection(CollectionId="faces")["FaceCount"] == 1


def test_without_max_faces_every_face_is_indexed(engine: FaceEngine, two_people_png: bytes) -> None:
    response = engine.index_faces(CollectionId="faces", Image={"Bytes": two_people_png})
    assert len(response["FaceRecords"]) == 2
    assert len({r["Face"]["ImageId"] for r in response["FaceRecords"]}) == 1


@pytest.fixture(scope="module")
def small_face_png(alex_rgb: np.ndarray) -> bytes:
    """Alex's photo shrunk so that the face is about 50 pixels wide."""
    image = Image.fromarray(alex_rgb)
    small = image.resize((image.width // 3, image.height // 3), Image.Resampling.LANCZOS)
    return png_bytes(np.asarray(small))


def test_high_quality_filter_rejects_a_small_face(
    engine: FaceEngine, small_face_png: bytes
) -> None:
    # When a photo with a small face is indexed with QualityFilter HIGH
    response = engine.index_faces(
        CollectionId="faces", Image={"Bytes": small_face_png}, QualityFilter="HIGH"
    )

    # Then the face is not indexed, for its small bounding box
    assert response["FaceRecords"] == []
    [unindexed] = response["UnindexedFaces"]
    assert "SMALL_BOUNDING_BOX" in unindexed["Reasons"]


def test_quality_filter_none_indexes_a_small_face(
    engine: FaceEngine, small_face_png: bytes
) -> None:
    response = engine.index_faces(
        CollectionId="faces", Image={"Bytes": small_face_png}, QualityFilter="NONE"
    )
    assert len(response["FaceRecords"]) == 1
    assert response["UnindexedFaces"] == []


def test_unknown_quality_filter_is_refused(engine: FaceEngine, lin_bytes: bytes) -> None:
    with pytest.raises(InvalidParameterException, match="QualityFilter"):
        engine.index_faces(CollectionId="faces", Image={"Bytes": lin_bytes}, QualityFilter="BEST")


def test_exif_orientation_is_applied_before_detection(engine: FaceEngine, lin_rgb) -> None:
    # Given Lin's photo stored sideways in a JPEG whose EXIF says "rotate 90 degrees clockwise"
    import io

    sideways = Image.fromarray(lin_rgb).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the viewer rotates the pixels 90 degrees clockwise
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", exif=exif)

    # When it is indexed
    response = engine.index_faces(CollectionId="faces", Image={"Bytes": buffer.getvalue()})

    # Then the upright face is found (the detector finds no sideways face)
    assert len(response["FaceRecords"]) == 1
