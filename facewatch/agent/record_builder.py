"""Records in the Rekognition stream processor schema (see facewatch/schemas), from the agent.

How edge mode fills `InputInformation.KinesisVideo` (there is no real video stream):
- `StreamArn`: the camera's Kinesis video stream ARN when it has one, else
  `workflows.records.edge_stream_arn(camera, ...)` = `arn:aws:kinesisvideo:<region>:
  <account>:stream/<camera>/edge`, so the camera name is the ARN's stream-name segment
  in both modes.
- Every analysed frame is its own synthetic fragment. `FragmentNumber` is the frame's
  producer time in epoch milliseconds as a decimal string (digits only, increasing, as
  KVS fragment numbers are; bumped by one if two frames share a millisecond), and the
  same number names the frame's snapshot folder `snapshots/<camera>/<epoch-ms>/`.
- `ProducerTimestamp`: the frame's producer time (Unix seconds): the capture time for
  live sources, run start + position in the file for files.
- `FrameOffsetInSeconds`: 0, the frame's offset inside its one-frame fragment, so
  "frame time = ProducerTimestamp + FrameOffsetInSeconds" holds as it does for AWS.
- `ServerTimestamp`: when the agent built the record (Unix seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from facewatch.engine.detection import bounding_box_ratios
from facewatch.workflows.records import SNAPSHOT_FIELD

from .source import Frame


@dataclass(frozen=True)
class FaceResult:
    """One detected face of a frame: pixel box, detector confidence (0-100), matches."""

    box: tuple[float, float, float, float]
    confidence: float
    matches: list[dict[str, Any]]


def bounding_box(
    box: tuple[float, float, float, float], width: int, height: int
) -> dict[str, float]:
    """A pixel box as Rekognition's BoundingBox: ratios of the frame, clipped to it, rounded."""
    ratios = bounding_box_ratios(box, width, height)
    return {key: round(value, 6) for key, value in ratios.items()}


class RecordBuilder:
    def __init__(self, stream_arn: str, *, clock: Callable[[], float] = time.time) -> None:
        self.stream_arn = stream_arn
        self._clock = clock
        self._last_fragment = 0

    def fragment_number(self, frame: Frame) -> int:
        """The frame's synthetic fragment number (epoch ms, strictly increasing)."""
        number = max(round(frame.epoch * 1000), self._last_fragment + 1)
        self._last_fragment = number
        return number

    def build(
        self,
        frame: Frame,
        fragment: int,
        faces: list[FaceResult],
        snapshot: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "InputInformation": {
                "KinesisVideo": {
                    "StreamArn": self.stream_arn,
                    "FragmentNumber": str(fragment),
                    "ServerTimestamp": round(self._clock(), 3),
                    "ProducerTimestamp": round(frame.epoch, 3),
                    "FrameOffsetInSeconds": 0,
                }
            },
            "StreamProcessorInformation": {"Status": "RUNNING"},
            "FaceSearchResponse": [
                {
                    "DetectedFace": {
                        "BoundingBox": bounding_box(face.box, frame.width, frame.height),
                        "Confidence": round(min(max(face.confidence, 0.0), 100.0), 3),
                    },
                    "MatchedFaces": face.matches,
                }
                for face in faces
            ],
        }
        if snapshot is not None:
            record[SNAPSHOT_FIELD] = snapshot
        return record
