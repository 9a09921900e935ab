"""Frames from a camera: a video file, a webcam index or an rtsp/http(s) URL, through OpenCV.

Frames are sampled at the analysis rate by *source* time (the file's timestamps,
or the capture clock for live sources), never by sleeping, so a file is analysed
as fast as the machine allows and a live source is never slowed down.

A file ends cleanly. A live source that fails to open or stops delivering frames
is reopened with exponential backoff (`ReconnectPolicy`, scheduled by tenacity); each
(re)connection is a new `segment`, so the tracker can forget boxes from before the gap.

Retries are bounded twice: by the policy's attempts, and by `deadline_seconds` (the agent's
`--max-seconds`, counted from the source's creation, waits included), so a camera that
refuses connections ends the agent in a bounded time. `stop_requested` (a local stream
processor being stopped) ends the waits and the frames quietly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.stop import stop_base

from .config import ReconnectPolicy
from .errors import AgentError
from .logs import log_event

log = logging.getLogger("facewatch.agent.source")

SourceKind = Literal["file", "webcam", "network"]
NETWORK_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://")
# Half a frame of tolerance when comparing source timestamps to the sampling grid,
# so 29.97 fps material sampled at 5 fps keeps a steady 6-frame stride.
GRID_TOLERANCE = 0.01
NETWORK_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Frame:
    """One sampled frame. `source_time` is seconds since the segment started; `epoch` is the
    producer time of the frame (Unix seconds)."""

    index: int
    segment: int
    source_time: float
    epoch: float
    bgr: np.ndarray = field(repr=False)

    @property
    def height(self) -> int:
        return int(self.bgr.shape[0])

    @property
    def width(self) -> int:
        return int(self.bgr.shape[1])


def classify_source(source: str) -> tuple[SourceKind, str | int]:
    """What kind of source `source` names, and the argument for `cv2.VideoCapture`."""
    text = source.strip()
    if text.isdigit():
        return "webcam", int(text)
    if text.lower().startswith(NETWORK_SCHEMES):
        return "network", text
    return "file", text


Opener = Callable[[str | int], Any]


@dataclass
class SourceStats:
    frames_read: int = 0


class _SourceGone(Exception):
    """A live source that dropped could not be reopened before the deadline or a stop."""


class _stop_when(stop_base):
    """Stop retrying when `condition(upcoming sleep)` holds: the next wait would end past the
    deadline, or a stop was requested (tenacity computes the wait before it asks the stop)."""

    def __init__(self, condition: Callable[[float], bool]) -> None:
        self.condition = condition

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.condition(retry_state.upcoming_sleep)


class VideoSource:
    """Iterate `frames()` to get the sampled frames of `source` at `fps`."""

    def __init__(
        self,
        source: str,
        *,
        fps: float,
        reconnect: ReconnectPolicy | None = None,
        opener: Opener | None = None,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        deadline_seconds: float | None = None,
        stop_requested: Callable[[], bool] = lambda: False,
    ) -> None:
        self.source = source
        self.kind, self.target = classify_source(source)
        self.period = 1.0 / fps
        self.reconnect = reconnect or ReconnectPolicy()
        self.stats = SourceStats()
        self._opener: Opener = opener or _open_capture
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._deadline = None if deadline_seconds is None else monotonic() + deadline_seconds
        self._stop_requested = stop_requested
        self._connected = False
        self._timed_out = False

    # -- opening ---------------------------------------------------------------------------

    def _open_once(self) -> Any | None:
        capture = self._opener(self.target)
        if capture is not None and capture.isOpened():
            return capture
        if capture is not None:
            capture.release()
        return None

    def _open_file(self) -> Any:
        path = Path(str(self.target))
        if not path.exists():
            raise AgentError(
                f"video source {self.source!r} does not exist",
                "pass an existing video file, a webcam index (0) or an rtsp:// / http(s):// URL",
            )
        capture = self._open_once()
        if capture is None:
            raise AgentError(
                f"cannot read video source {self.source!r}: OpenCV could not open it as video",
                "check that the file is a video OpenCV/FFmpeg can decode (e.g. .mp4 H.264)",
            )
        return capture

    def _open_live(self, *, first: bool) -> Any:
        """Open a webcam or network source, retrying on the policy's backoff schedule."""
        policy = self.reconnect
        retrying = Retrying(
            stop=stop_after_attempt(policy.max_attempts + 1) | _stop_when(self._out_of_time),
            wait=wait_exponential(multiplier=policy.base_delay, max=policy.max_delay),
            retry=retry_if_result(lambda capture: capture is None),
            before_sleep=self._log_retry,
            retry_error_callback=self._give_up,
            sleep=self._sleep,
        )
        attempts = 0

        def attempt() -> Any | None:
            nonlocal attempts
            attempts += 1
            return self._open_once()

        capture = retrying(attempt)
        self._connected = True
        if not first or attempts > 1:
            log_event(log, logging.INFO, "source.connected", source=self._safe_name())
        return capture

    def _log_retry(self, state: RetryCallState) -> None:
        log_event(
            log,
            logging.WARNING,
            "source.retry",
            source=self._safe_name(),
            attempt=state.attempt_number,
            delay_s=state.next_action.sleep if state.next_action else 0.0,
        )

    def _out_of_time(self, upcoming_sleep: float = 0.0) -> bool:
        late = self._deadline is not None and self._monotonic() + upcoming_sleep >= self._deadline
        self._timed_out = self._timed_out or late
        return late or self._stop_requested()

    def _give_up(self, state: RetryCallState) -> Any:
        if self._stop_requested() or (self._connected and self._timed_out):
            # Stopped, or --max-seconds ran out while reconnecting after frames were read:
            # the run simply ends, as it would have at the deadline.
            raise _SourceGone(self._safe_name())
        within = " before --max-seconds ran out" if self._timed_out else ""
        raise AgentError(
            f"cannot open {self.kind} source {self._safe_name()!r} after "
            f"{state.attempt_number} attempts{within}",
            "check the URL/credentials or the camera index and that the camera is reachable; "
            "--reconnect-attempts sets how often it retries "
            f"(backoff up to {self.reconnect.max_delay:g}s)",
        )

    def _safe_name(self) -> str:
        """The source without any user:password in a URL (never log credentials)."""
        text = str(self.target)
        if self.kind == "network" and "@" in text:
            scheme, _, rest = text.partition("://")
            return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
        return text

    # -- reading ---------------------------------------------------------------------------

    def frames(self) -> Iterator[Frame]:
        if self.kind == "file":
            yield from self._file_frames()
        else:
            yield from self._live_frames()

    def _sample(self, capture: Any, position: float, next_due: float) -> tuple[Any, float]:
        """The grabbed frame (decoded) when `position` is on the sampling grid, else None;
        and the grid time the next sample is due at."""
        if position + GRID_TOLERANCE < next_due:
            return None, next_due
        ok, bgr = capture.retrieve()
        if not ok or bgr is None:
            return None, next_due
        return bgr, _next_due(next_due, position, self.period)

    def _file_frames(self) -> Iterator[Frame]:
        capture = self._open_file()
        # A file replays as if it were live from now: producer time = start + position.
        start_epoch = self._wall_clock()
        next_due = 0.0
        index = -1
        try:
            while capture.grab():
                index += 1
                self.stats.frames_read += 1
                position = max(0.0, float(capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0)
                bgr, next_due = self._sample(capture, position, next_due)
                if bgr is not None:
                    yield Frame(index, 0, position, start_epoch + position, bgr)
        finally:
            capture.release()
        if index < 0:
            raise AgentError(
                f"video source {self.source!r} has no readable frames",
                "check that the file is a complete video OpenCV/FFmpeg can decode",
            )

    def _live_frames(self) -> Iterator[Frame]:
        try:
            yield from self._live_segments()
        except _SourceGone:
            log_event(log, logging.INFO, "source.ended", source=self._safe_name())

    def _live_segments(self) -> Iterator[Frame]:
        segment = 0
        index = -1
        capture = self._open_live(first=True)
        try:
            while True:
                segment_start = self._monotonic()
                next_due = 0.0
                while capture.grab():
                    index += 1
                    self.stats.frames_read += 1
                    # Live clocks (webcam drivers, RTSP) report unreliable positions; the
                    # capture time is the frame's time.
                    now = self._monotonic()
                    position = now - segment_start
                    bgr, next_due = self._sample(capture, position, next_due)
                    if bgr is not None:
                        yield Frame(index, segment, position, self._wall_clock(), bgr)
                capture.release()
                log_event(log, logging.WARNING, "source.dropped", source=self._safe_name())
                capture = self._open_live(first=False)
                segment += 1
        finally:
            capture.release()


def _open_capture(target: str | int) -> Any:
    if isinstance(target, str) and target.lower().startswith(NETWORK_SCHEMES):
        # Bounded waits, so a dead camera ends in a reconnect instead of a long hang.
        timeouts = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            NETWORK_TIMEOUT_MS,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            NETWORK_TIMEOUT_MS,
        ]
        return cv2.VideoCapture(target, cv2.CAP_FFMPEG, timeouts)
    return cv2.VideoCapture(target)


def _next_due(next_due: float, position: float, period: float) -> float:
    """Advance the sampling grid past `position` (skipping slots lost to a stall)."""
    next_due += period
    if next_due <= position:
        next_due = position + period
    return next_due
