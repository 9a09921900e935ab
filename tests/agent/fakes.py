"""Small stand-ins for the agent's collaborators (synthetic frames, detector, backend)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from facewatch.agent.source import Frame

FACE_ID = "3f8a6b9e-2c41-4d6f-9a0b-7e5c1d2f3a4b"
IMAGE_ID = "9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int
    confidence: float = 99.0


def synthetic_frames(
    seconds: float, fps: float = 5.0, start: float = 1_700_000_000.0
) -> Iterator[Frame]:
    """`seconds` of grey 640x360 frames at `fps`, already sampled."""
    image = np.full((360, 640, 3), 128, dtype=np.uint8)
    for i in range(round(seconds * fps)):
        t = i / fps
        yield Frame(i, 0, t, start + t, image)


def fixed_detector(*boxes: Box) -> Any:
    def detect(rgb: np.ndarray, upsample: int) -> list[Box]:
        return list(boxes)

    return detect


class MatchingBackend:
    """Answers every search with one match for `external_id` and counts the calls."""

    def __init__(self, external_id: str = "alice", similarity: float = 95.0) -> None:
        self.external_id = external_id
        self.similarity = similarity
        self.calls: list[dict[str, Any]] = []

    def search_faces_by_image(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {
            "SearchedFaceBoundingBox": {"Width": 0.5, "Height": 0.5, "Left": 0.2, "Top": 0.2},
            "SearchedFaceConfidence": 99.0,
            "FaceMatches": [
                {
                    "Similarity": self.similarity,
                    "Face": {
                        "FaceId": FACE_ID,
                        "BoundingBox": {"Width": 0.4, "Height": 0.5, "Left": 0.3, "Top": 0.2},
                        "ImageId": IMAGE_ID,
                        "ExternalImageId": self.external_id,
                        "Confidence": 99.9,
                        "IndexFacesModelVersion": "6.0",
                    },
                }
            ],
            "FaceModelVersion": "6.0",
        }


class RaisingBackend:
    """Raises a Rekognition-named error (like the engine's errors, `.code` set)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.calls = 0

    def search_faces_by_image(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        error = Exception(f"{self.code}: simulated")
        error.code = self.code  # type: ignore[attr-defined]
        raise error
