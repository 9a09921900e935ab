"""A small IoU tracker: the same face across sampled frames keeps one track.

The agent searches a track at most once per `search_interval` seconds of source
time and copies the track's last search result into the records of the frames in
between. That is what keeps SearchFacesByImage calls (cost, latency) down while a
person stays in view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class Box(Protocol):
    left: int
    top: int
    right: int
    bottom: int


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def as_tuple(box: Box) -> tuple[float, float, float, float]:
    return (float(box.left), float(box.top), float(box.right), float(box.bottom))


@dataclass
class Track:
    track_id: int
    box: tuple[float, float, float, float]
    last_seen: float
    last_search: float | None = None
    matches: list[dict[str, Any]] = field(default_factory=list)

    def search_due(self, now: float, interval: float) -> bool:
        return self.last_search is None or now - self.last_search >= interval - 1e-6

    def remember(self, now: float, matches: list[dict[str, Any]]) -> None:
        self.last_search = now
        self.matches = matches


class IouTracker:
    """Greedy IoU association; tracks unseen for more than `max_age` seconds are dropped."""

    def __init__(self, *, iou_threshold: float = 0.3, max_age: float = 1.0) -> None:
        self.iou_threshold = iou_threshold
        self.max_age = max_age
        self.tracks: list[Track] = []
        self._next_id = 1

    def reset(self) -> None:
        self.tracks = []

    def update(self, boxes: list[Box], now: float) -> list[Track]:
        """The track of each box (same order as `boxes`), creating tracks for new faces."""
        self.tracks = [t for t in self.tracks if now - t.last_seen <= self.max_age]
        candidates = [
            (iou(track.box, as_tuple(box)), ti, bi)
            for ti, track in enumerate(self.tracks)
            for bi, box in enumerate(boxes)
        ]
        candidates.sort(reverse=True)
        assigned: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for overlap, ti, bi in candidates:
            if overlap < self.iou_threshold:
                break
            if ti in used_tracks or bi in assigned:
                continue
            used_tracks.add(ti)
            assigned[bi] = self.tracks[ti]
        result: list[Track] = []
        for bi, box in enumerate(boxes):
            track = assigned.get(bi)
            if track is None:
                track = Track(self._next_id, as_tuple(box), now)
                self._next_id += 1
                self.tracks.append(track)
            track.box = as_tuple(box)
            track.last_seen = now
            result.append(track)
        return result
