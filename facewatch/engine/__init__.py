"""Local face engine: Rekognition's face-collection API on dlib, stored on disk.

``FaceEngine`` is imported lazily, so ``facewatch.engine.errors`` stays cheap to import.
"""

from typing import Any

__all__ = ["FaceEngine"]


def __getattr__(name: str) -> Any:
    if name == "FaceEngine":
        from facewatch.engine.engine import FaceEngine

        return FaceEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
