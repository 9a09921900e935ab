"""`facewatch faces add` with names S3 tags cannot hold, photos Rekognition does not take
(HEIC, WEBP, TIFF, CMYK JPEG) and oversized photos, through one in-process local mode: the real
conversion, the indexing workflow and the local face engine."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import numpy as np
import pytest
from botocore.exceptions import ClientError
from PIL import Image
from typer.testing import CliRunner

from facewatch import enrolment
from facewatch.aws_clients import client
from facewatch.cli import app
from facewatch.local.resources import LocalResources
from facewatch.local.server import LocalMode
from facewatch.local.state import write_state
from facewatch.workflows.indexing import external_image_id

from .conftest import CAMERA, LIN, PHOTOS

WIDE = {"COLUMNS": "250"}
AWS_TAG_VALUE = re.compile(r"^[\w\s_.:/=+\-@]*$")  # AWS: Unicode letters, digits, spaces
ASCII_TAG_VALUE = re.compile(r"^[A-Za-z0-9 _.:/=+\-@]*$")  # moto's message, other S3 stores


@pytest.fixture(scope="module")
def local(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMode]:
    root = tmp_path_factory.mktemp("enrol")
    mode = LocalMode(root, resources=LocalResources(cameras={CAMERA: str(clip)}))
    mode.start()
    try:
        # The CLI finds the instance through the state file, as after `facewatch local up`.
        write_state(root, {**mode.describe(), "pid": os.getpid(), "ready": True})
        mode.state_root = root  # type: ignore[attr-defined]
        yield mode
    finally:
        mode.stop()


@pytest.fixture(autouse=True)
def _empty_bucket(local: LocalMode) -> Iterator[None]:
    yield
    s3, bucket = local.client("s3"), local.resources.faces_bucket
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)
    assert enrolment.wait_faces_deleted(
        local.client("dynamodb"), local.resources.registry_table, keys, 60
    )


def faces_add(local: LocalMode, photo: Path, name: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["faces", "add", str(photo), "--name", name, "--root", str(local.paths.root)], env=WIDE
    )
    return result.exit_code, result.output


def faces_list(local: LocalMode) -> str:
    args = ["faces", "list", "--root", str(local.paths.root)]
    return CliRunner().invoke(app, args, env=WIDE).output


def face_item(local: LocalMode, key: str) -> dict[str, Any]:
    item = local.client("dynamodb").get_item(
        TableName=local.resources.registry_table,
        Key={"pk": {"S": f"face#{external_image_id(key)}"}},
    )
    return dict(item["Item"])


def stored_keys(local: LocalMode) -> list[str]:
    listed = local.client("s3").list_objects_v2(Bucket=local.resources.faces_bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


def registry_items(local: LocalMode) -> list[dict[str, Any]]:
    scanned = local.client("dynamodb").scan(TableName=local.resources.registry_table)
    return list(scanned["Items"])


def tag_validating_s3(local: LocalMode, pattern: re.Pattern[str]) -> Any:
    """An S3 client whose PutObject is refused (InvalidTag) as an S3 implementation with this
    tag-value pattern refuses it."""
    s3 = client("s3", region=local.resources.region, endpoint_url=local.endpoint_url)

    def validate(params: dict[str, Any], **_: Any) -> None:
        for _key, value in parse_qsl(params.get("Tagging", "")):
            if not pattern.match(value) or len(value) > 256:
                error = {"Code": "InvalidTag", "Message": f"bad tag value {value!r}"}
                raise ClientError({"Error": error}, "PutObject")

    s3.meta.events.register("provide-client-params.s3.PutObject", validate)
    return s3


@pytest.mark.parametrize("name", ["Conan O'Brien", "Ben & Jerry", "<b>Rosé</b> 🎤"])
def test_a_name_tags_cannot_hold_is_enrolled_whole(local: LocalMode, name: str) -> None:
    # when `faces add` is given the name
    code, output = faces_add(local, PHOTOS[LIN], name)
    # then the photo is indexed and the registry's face item carries the full name
    assert code == 0, output
    [key] = stored_keys(local)
    assert face_item(local, key)["PersonName"] == {"S": name}
    # and `faces list` shows it
    assert name in faces_list(local)


@pytest.mark.parametrize("pattern", [AWS_TAG_VALUE, ASCII_TAG_VALUE], ids=["aws", "ascii-only"])
def test_an_accented_name_is_stored_whichever_tags_s3_accepts(
    local: LocalMode, pattern: re.Pattern[str]
) -> None:
    # given an S3 that takes Unicode letters in tags (AWS), or ASCII only
    s3 = tag_validating_s3(local, pattern)
    registry = enrolment.Registry(local.client("dynamodb"), local.resources.registry_table)
    # when the name with é is enrolled
    uploaded, outcome = enrolment.enrol(
        s3, local.resources.faces_bucket, PHOTOS[LIN], "Zoë Saldaña", timeout=60, registry=registry
    )
    # then it is indexed under its exact name
    assert outcome == "indexed"
    assert face_item(local, uploaded.key)["PersonName"] == {"S": "Zoë Saldaña"}
    assert "Zoë Saldaña" in faces_list(local)


def test_a_name_over_256_characters_is_refused_and_nothing_is_stored(local: LocalMode) -> None:
    code, output = faces_add(local, PHOTOS[LIN], "A" * 300)
    assert code == 2
    assert "300 characters, more than 256" in output
    assert stored_keys(local) == [] and registry_items(local) == []


def test_a_name_with_control_characters_is_refused(local: LocalMode) -> None:
    code, output = faces_add(local, PHOTOS[LIN], "Ada\nLovelace")
    assert code == 2
    assert "control characters (U+000A)" in output
    assert stored_keys(local) == [] and registry_items(local) == []


def test_a_refused_upload_leaves_no_name_and_no_photo(local: LocalMode) -> None:
    # given an S3 that refuses every tag
    s3 = tag_validating_s3(local, re.compile(r"^$"))
    registry = enrolment.Registry(local.client("dynamodb"), local.resources.registry_table)
    # when a photo is enrolled, then the refusal surfaces and nothing is left behind
    with pytest.raises(ClientError, match="InvalidTag"):
        enrolment.upload(s3, local.resources.faces_bucket, PHOTOS[LIN], "Ada", "", registry)
    assert stored_keys(local) == [] and registry_items(local) == []


def test_a_file_that_is_not_an_image_is_refused_before_upload(
    local: LocalMode, tmp_path: Path
) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    code, output = faces_add(local, text, "Ada Lovelace")
    assert code == 2
    assert "is not an image facewatch can read" in output
    assert stored_keys(local) == [] and registry_items(local) == []


def _as(tmp_path: Path, suffix: str, mode: str, **save: Any) -> Path:
    target = tmp_path / f"lin{suffix}"
    with Image.open(PHOTOS[LIN]) as image:
        image.convert(mode).save(target, **save)
    return target


@pytest.mark.parametrize(
    ("suffix", "mode", "save", "label"),
    [
        (".heic", "RGB", {"format": "HEIF"}, "HEIF"),
        (".webp", "RGB", {"format": "WEBP"}, "WEBP"),
        (".tiff", "RGB", {"format": "TIFF"}, "TIFF"),
        (".jpg", "CMYK", {"format": "JPEG"}, "JPEG (CMYK)"),
    ],
)
def test_other_formats_are_converted_to_jpeg_and_indexed(
    local: LocalMode, tmp_path: Path, suffix: str, mode: str, save: dict[str, Any], label: str
) -> None:
    photo = _as(tmp_path, suffix, mode, **save)
    code, output = faces_add(local, photo, LIN)
    assert code == 0, output
    assert f"converted from {label} to JPEG" in output
    [key] = stored_keys(local)
    assert key.endswith(f"lin{suffix}.jpg")
    head = local.client("s3").head_object(Bucket=local.resources.faces_bucket, Key=key)
    assert head["ContentType"] == "image/jpeg"
    assert face_item(local, key)["PersonName"] == {"S": LIN}


def test_a_png_with_alpha_is_uploaded_unchanged(local: LocalMode) -> None:
    # given the bundled photo, an RGBA PNG
    with Image.open(PHOTOS[LIN]) as image:
        assert image.mode == "RGBA"
    code, output = faces_add(local, PHOTOS[LIN], LIN)
    assert code == 0, output
    assert "converted" not in output
    [key] = stored_keys(local)
    body = local.client("s3").get_object(Bucket=local.resources.faces_bucket, Key=key)["Body"]
    assert body.read() == PHOTOS[LIN].read_bytes()


def test_a_photo_over_15_mb_is_shrunk_before_upload_and_indexed(
    local: LocalMode, tmp_path: Path
) -> None:
    # given a 3000 x 3000 PNG of noise with the face in the middle: over 15 MB
    noise = np.random.default_rng(7).integers(0, 256, (3000, 3000, 3), dtype=np.uint8)
    canvas = Image.fromarray(noise)
    with Image.open(PHOTOS[LIN]) as face:
        canvas.paste(face.convert("RGB").resize((1408, 1224)), (796, 888))
    big = tmp_path / "big.png"
    canvas.save(big)
    assert big.stat().st_size > 15 * 1024 * 1024
    # when it is enrolled
    code, output = faces_add(local, big, LIN)
    # then it is converted to a JPEG within Rekognition's limit, and indexed
    assert code == 0, output
    assert "is over Rekognition's 15 MB" in output
    [key] = stored_keys(local)
    head = local.client("s3").head_object(Bucket=local.resources.faces_bucket, Key=key)
    assert head["ContentLength"] <= 15 * 1024 * 1024
    assert face_item(local, key)["PersonName"] == {"S": LIN}
