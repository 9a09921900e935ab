"""Face detection with dlib's HOG frontal face detector.

``detect_faces`` is shared by the local face engine and the camera agent. The detector is
created once per process (lazily, under a lock) and calls into it are serialised: dlib
does not document its detector as safe for concurrent use, and the Python bindings hold
the GIL while they run anyway, so the lock costs nothing.

``FaceBox.confidence`` is on Rekognition's 0..100 scale. dlib gives an SVM score instead
(detections start at score 0, clear frontal faces score above 1); it is mapped with a
logistic curve, ``100 / (1 + exp(-3 * (score + 0.5)))``: score 0 -> 81.8, 0.5 -> 95.3,
1 -> 98.9. The raw score is kept in ``FaceBox.score``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

_detector: Any = None
_detector_lock = threading.Lock()


@dataclass(frozen=True)
class FaceBox:
    """A detected face: pixel edges (``right``/``bottom`` exclusive) and its confidence."""

    left: int
    top: int
    right: int
    bottom: int
    confidence: float
    score: float = 0.0

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(self.width, 0) * max(self.height, 0)

    def bounding_box(self, image_width: int, image_height: int) -> dict[str, float]:
        """Rekognition ``BoundingBox``: ratios of the image size, clipped to the image."""
        return bounding_box_ratios(
            (self.left, self.top, self.right, self.bottom), image_width, image_height
        )


def bounding_box_ratios(
    box: tuple[float, float, float, float], image_width: int, image_height: int
) -> dict[str, float]:
    """A (left, top, right, bottom) pixel box as Rekognition's ``BoundingBox``: ratios of
    the image size, clipped to the image (an inverted box becomes zero-sized)."""
    left = min(max(box[0], 0), image_width)
    top = min(max(box[1], 0), image_height)
    right = min(max(box[2], left), image_width)
    bottom = min(max(box[3], top), image_height)
    return {
        "Width": (right - left) / image_width,
        "Height": (bottom - top) / image_height,
        "Left": left / image_width,
        "Top": top / image_height,
    }


def confidence_from_score(score: float) -> float:
    """Map dlib's detector score to a 0..100 confidence (logistic, see module docstring)."""
    return 100.0 / (1.0 + math.exp(-3.0 * (score + 0.5)))


def _get_detector() -> Any:
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                import dlib  # imported lazily: loading dlib takes a noticeable moment

                _detector = dlib.get_frontal_face_detector()
    return _detector


def as_uint8_image(image: np.ndarray) -> np.ndarray:
    """Check an image array (H x W grey or H x W x 3 RGB) and make it contiguous uint8."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"expected a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"expected an H x W or H x W x 3 image, got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {image.dtype}")
    return np.ascontiguousarray(image)


def detect_faces(rgb: np.ndarray, upsample: int = 0) -> list[FaceBox]:
    """Detect frontal faces in an RGB (or grey) uint8 image, best score first.

    ``upsample`` doubles the image that many times before detecting: dlib's detector finds
    faces of about 80x80 pixels and larger, 40x40 with ``upsample=1``, at 4x the cost.
    """
    if upsample < 0:
        raise ValueError("upsample must be >= 0")
    image = as_uint8_image(rgb)
    detector = _get_detector()
    with _detector_lock:
        rects, scores, _ = detector.run(image, upsample, 0.0)
    faces = [
        FaceBox(
            left=int(rect.left()),
            top=int(rect.top()),
            right=int(rect.right()) + 1,
            bottom=int(rect.bottom()) + 1,
            confidence=confidence_from_score(float(score)),
            score=float(score),
        )
        for rect, score in zip(rects, scores, strict=True)
    ]
    return sorted(faces, key=lambda face: face.score, reverse=True)
