"""Fixtures of the local face engine tests.

The bundled photos (sample_data/faces) are always present; the shared data
(../shared/data, or $FACEWATCH_SHARED_DATA: see tests/shared_data.py) is optional and its
tests skip with a message naming the missing path and how to provide it.
Enrolment is costly (a detector pass and a descriptor per face), so the read-only tests
share one session-scoped engine with both bundled people enrolled.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from shared_data import clip_path

from facewatch.engine import FaceEngine

REPO = Path(__file__).resolve().parents[2]
SAMPLE_FACES = REPO / "sample_data" / "faces"
LIN = "lin-manuel-miranda"
ALEX = "alex-lacamoire"
ENROLLED = "enrolled"


def png_bytes(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def rgb_of(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="session")
def lin_bytes() -> bytes:
    return (SAMPLE_FACES / f"{LIN}.png").read_bytes()


@pytest.fixture(scope="session")
def alex_bytes() -> bytes:
    return (SAMPLE_FACES / f"{ALEX}.png").read_bytes()


@pytest.fixture(scope="session")
def lin_rgb() -> np.ndarray:
    return rgb_of(SAMPLE_FACES / f"{LIN}.png")


@pytest.fixture(scope="session")
def alex_rgb() -> np.ndarray:
    return rgb_of(SAMPLE_FACES / f"{ALEX}.png")


@pytest.fixture(scope="session")
def blank_png() -> bytes:
    """A valid image with no face in it."""
    gradient = np.tile(np.linspace(0, 255, 320, dtype=np.uint8), (240, 1))
    return png_bytes(np.stack([gradient] * 3, axis=2))


@pytest.fixture(scope="session")
def two_people_png(lin_rgb: np.ndarray, alex_rgb: np.ndarray) -> bytes:
    """Lin (larger face) on the left, Alex (smaller face) on the right."""
    height = max(lin_rgb.shape[0], alex_rgb.shape[0])
    canvas = np.full((height, lin_rgb.shape[1] + alex_rgb.shape[1], 3), 255, dtype=np.uint8)
    canvas[: lin_rgb.shape[0], : lin_rgb.shape[1]] = lin_rgb
    canvas[: alex_rgb.shape[0], lin_rgb.shape[1] :] = alex_rgb
    return png_bytes(canvas)


@pytest.fixture(scope="session")
def enrolled_engine(
    tmp_path_factory: pytest.TempPathFactory, lin_bytes: bytes, alex_bytes: bytes
) -> FaceEngine:
    """Read-only: collection ENROLLED holds one face of Lin and one of Alex."""
    engine = FaceEngine(tmp_path_factory.mktemp("enrolled"))
    engine.create_collection(CollectionId=ENROLLED)
    for image, person in ((lin_bytes, LIN), (alex_bytes, ALEX)):
        engine.index_faces(CollectionId=ENROLLED, Image={"Bytes": image}, ExternalImageId=person)
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> FaceEngine:
    """A fresh engine with an empty collection named "faces"."""
    face_engine = FaceEngine(tmp_path)
    face_engine.create_collection(CollectionId="faces")
    return face_engine


@pytest.fixture(scope="session")
def clip_frame() -> Callable[[float], np.ndarray]:
    """RGB frame of the Hamilton clip at a time in seconds (shared clip, else bundled)."""
    import cv2

    clip = clip_path()

    def read(seconds: float) -> np.ndarray:
        capture = cv2.VideoCapture(str(clip))
        try:
            capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
            ok, bgr = capture.read()
        finally:
            capture.release()
        assert ok, f"could not read {clip} at {seconds}s"
        return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))

    return read


def external_ids(matches: list[dict[str, Any]]) -> list[str]:
    return [match["Face"].get("ExternalImageId", "") for match in matches]
