"""Settings of one camera agent run (built by the CLI, or directly by tests and the local mode)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from facewatch.workflows.records import CAMERA_NAME_MAX, is_valid_camera_name

SnapshotPolicy = Literal["matches", "all", "none"]


@dataclass(frozen=True)
class ReconnectPolicy:
    """Exponential backoff for network and webcam sources: base, 2*base, ... capped at `max_delay`.

    After `max_attempts` retries (so `max_attempts + 1` failed opens in a row; tenacity
    runs the schedule) the agent stops with an AgentError,
    so a camera that is gone for good ends in a visible error, not a silent loop.
    """

    base_delay: float = 1.0
    max_delay: float = 30.0
    max_attempts: int = 10


@dataclass(frozen=True)
class AgentConfig:
    camera: str
    source: str
    collection_id: str
    stream_arn: str
    fps: float = 5.0
    search_interval: float = 1.0
    threshold: float = 80.0
    max_faces: int = 5
    max_seconds: float | None = None
    # dlib HOG finds faces of ~80 px and larger at 0; 1 finds ~40 px faces at ~4x the cost.
    upsample: int = 0
    # Which records get their frame and face crops uploaded to S3 (when an uploader is given):
    # only records with a match (what the match workflow needs), every record, or none.
    snapshot_policy: SnapshotPolicy = "matches"
    reconnect: ReconnectPolicy = ReconnectPolicy()

    def __post_init__(self) -> None:
        from .errors import AgentError

        if not is_valid_camera_name(self.camera):
            raise AgentError(
                f"invalid camera name {self.camera!r}",
                f"use 1-{CAMERA_NAME_MAX} letters, digits, '_', '.' or '-', the names the "
                "stack accepts in facewatch:cameras (the name becomes the stream-name segment "
                "of the record's StreamArn)",
            )
        if self.fps <= 0:
            raise AgentError(f"--fps must be positive, got {self.fps}", "use e.g. --fps 5")
        if self.search_interval < 0:
            raise AgentError(
                f"--search-interval must be >= 0, got {self.search_interval}",
                "use e.g. --search-interval 1.0",
            )
        if not 0 <= self.threshold <= 100:
            raise AgentError(
                f"--threshold must be between 0 and 100, got {self.threshold}",
                "use e.g. --threshold 80",
            )
