"""detect_faces and face_descriptor, the helpers the camera agent uses too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from facewatch.engine.detection import FaceBox, detect_faces
from facewatch.engine.embedding import face_descriptor


def test_detect_faces_finds_the_face_in_a_portrait(lin_rgb: np.ndarray) -> None:
    [face] = detect_faces(lin_rgb)
    height, width = lin_rgb.shape[:2]
    assert 0 <= face.left < face.right <= width
    assert 0 <= face.top < face.bottom <= height
    assert face.width > 100
    assert 0 < face.confidence <= 100


def test_detect_faces_finds_nothing_in_a_blank_image() -> None:
    assert detect_faces(np.full((240, 320, 3), 128, dtype=np.uint8)) == []


def test_upsampling_finds_a_face_too_small_otherwise(alex_rgb: np.ndarray) -> None:
    # Given Alex's photo shrunk to a third (face about 50 px, below the 80 px window)
    small = np.ascontiguousarray(alex_rgb[::3, ::3])

    # Then only the upsampled detection finds the face
    assert detect_faces(small) == []
    assert len(detect_faces(small, upsample=1)) == 1


@pytest.mark.parametrize(
    "image",
    [np.zeros((10, 10, 4), dtype=np.uint8), np.zeros((10, 10, 3), dtype=np.float32)],
)
def test_detect_faces_refuses_other_arrays(image: np.ndarray) -> None:
    with pytest.raises(ValueError):
        detect_faces(image)


def test_detect_faces_is_safe_from_several_threads(lin_rgb: np.ndarray) -> None:
    expected = detect_faces(lin_rgb)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: detect_faces(lin_rgb), range(8)))
    assert all(result == expected for result in results)


def test_descriptors_separate_two_people(lin_rgb: np.ndarray, alex_rgb: np.ndarray) -> None:
    lin = face_descriptor(lin_rgb, detect_faces(lin_rgb)[0])
    lin_again = face_descriptor(lin_rgb, detect_faces(lin_rgb)[0])
    alex = face_descriptor(alex_rgb, detect_faces(alex_rgb)[0])

    assert lin.shape == (128,)
    assert np.linalg.norm(lin - lin_again) == pytest.approx(0.0, abs=1e-9)
    assert np.linalg.norm(lin - alex) > 0.6


def test_facebox_bounding_box_is_clipped_ratios() -> None:
    box = FaceBox(left=-10, top=20, right=50, bottom=80, confidence=99.0)
    assert box.bounding_box(100, 200) == {"Width": 0.5, "Height": 0.3, "Left": 0.0, "Top": 0.1}
