"""Finding the faces of a whole image for the engine, and Rekognition's QualityFilter.

The engine looks harder than one detector pass, because the camera agent sends face
crops: dlib's detector only sees faces of about 80 pixels and up, so small images are
upsampled (up to twice, while the upsampled image stays under ``MAX_UPSAMPLED_PIXELS``)
and, when a crop is so tight that the face fills it, the image is padded with its own
edge pixels and searched again (the detector needs some context around a face); large
images without a face are not padded, as the detector saw them at full size already.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facewatch.engine.detection import FaceBox, detect_faces

MAX_UPSAMPLE = 2
MAX_UPSAMPLED_PIXELS = 2_500_000
_PAD_RATIO = 0.3


@dataclass(frozen=True)
class QualityLimits:
    """Faces smaller than ``min_side`` pixels or less confident are filtered out."""

    min_side: int
    min_confidence: float


#: Rekognition's QualityFilter levels (AUTO behaves as MEDIUM; NONE filters nothing).
QUALITY_LIMITS: dict[str, QualityLimits | None] = {
    "NONE": None,
    "LOW": QualityLimits(min_side=20, min_confidence=50.0),
    "MEDIUM": QualityLimits(min_side=36, min_confidence=80.0),
    "AUTO": QualityLimits(min_side=36, min_confidence=80.0),
    "HIGH": QualityLimits(min_side=64, min_confidence=95.0),
}


def find_faces(rgb: np.ndarray) -> list[FaceBox]:
    """All faces in an image, largest first (see module docstring for the strategy)."""
    height, width = rgb.shape[:2]
    for upsample in range(MAX_UPSAMPLE + 1):
        if upsample and height * width * 4**upsample > MAX_UPSAMPLED_PIXELS:
            break
        faces = detect_faces(rgb, upsample=upsample)
        if faces:
            return _largest_first(faces)
    if height * width * (1 + 2 * _PAD_RATIO) ** 2 > MAX_UPSAMPLED_PIXELS:
        return []
    return _largest_first(_find_in_padded(rgb))


def _find_in_padded(rgb: np.ndarray) -> list[FaceBox]:
    height, width = rgb.shape[:2]
    pad_y, pad_x = int(height * _PAD_RATIO) + 1, int(width * _PAD_RATIO) + 1
    padded = np.pad(rgb, ((pad_y, pad_y), (pad_x, pad_x), (0, 0)), mode="edge")
    upsample = 0
    while upsample < MAX_UPSAMPLE and padded.size // 3 * 4 ** (upsample + 1) <= (
        MAX_UPSAMPLED_PIXELS
    ):
        upsample += 1
    found = detect_faces(padded, upsample=upsample)
    faces = []
    for face in found:
        # Keep only faces centred inside the original image, in its coordinates.
        centre_x = (face.left + face.right) / 2 - pad_x
        centre_y = (face.top + face.bottom) / 2 - pad_y
        if 0 <= centre_x < width and 0 <= centre_y < height:
            faces.append(
                FaceBox(
                    left=face.left - pad_x,
                    top=face.top - pad_y,
                    right=face.right - pad_x,
                    bottom=face.bottom - pad_y,
                    confidence=face.confidence,
                    score=face.score,
                )
            )
    return faces


def _largest_first(faces: list[FaceBox]) -> list[FaceBox]:
    return sorted(faces, key=lambda face: (face.area, face.score), reverse=True)


def quality_reasons(face: FaceBox, quality_filter: str) -> list[str]:
    """Rekognition ``UnindexedFaces`` reasons for a face under a QualityFilter level."""
    limits = QUALITY_LIMITS[quality_filter]
    if limits is None:
        return []
    reasons = []
    if min(face.width, face.height) < limits.min_side:
        reasons.append("SMALL_BOUNDING_BOX")
    if face.confidence < limits.min_confidence:
        reasons.append("LOW_CONFIDENCE")
    return reasons
