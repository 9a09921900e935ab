"""Frame sources: files end cleanly and are sampled by their timestamps; live sources
reconnect with backoff; unreadable sources fail with a clear AgentError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from facewatch.agent import AgentError, ReconnectPolicy
from facewatch.agent.source import VideoSource, classify_source


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("0", "webcam"),
        ("rtsp://user:pw@cam.local:554/stream", "network"),
        ("https://cam.local/video.mjpg", "network"),
        ("videos/door.mp4", "file"),
    ],
)
def test_source_kind_is_recognised(source: str, kind: str) -> None:
    # when / then
    assert classify_source(source)[0] == kind


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    # given
    source = VideoSource(str(tmp_path / "nope.mp4"), fps=5)
    # when / then
    with pytest.raises(AgentError, match="does not exist") as raised:
        list(source.frames())
    assert "fix:" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_file_that_is_not_video_is_a_clear_error(tmp_path: Path) -> None:
    # given
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video")
    # when / then
    with pytest.raises(AgentError, match="cannot read video source"):
        list(VideoSource(str(path), fps=5).frames())


def test_file_is_sampled_at_the_requested_rate_by_its_timestamps(clip: Path) -> None:
    # given the 29.97 fps clip of about 9.14 s, sampled at 5 fps
    source = VideoSource(str(clip), fps=5)
    # when
    times = [frame.source_time for frame in source.frames()]
    # then one frame per 0.2 s slot (6-frame stride at 29.97 fps), every frame read once
    gaps = np.diff(times)
    assert source.stats.frames_read == 275
    assert len(times) == 46
    assert gaps.min() > 0.19 and gaps.max() < 0.21


def test_file_frames_carry_epoch_of_start_plus_position(clip: Path) -> None:
    # given a fixed wall clock at start
    source = VideoSource(str(clip), fps=1, wall_clock=lambda: 1_700_000_000.0)
    # when
    frames = list(source.frames())
    # then producer time = start + position in the file
    assert [round(f.epoch - 1_700_000_000.0, 3) for f in frames] == [
        round(f.source_time, 3) for f in frames
    ]


class FakeCapture:
    def __init__(self, opened: bool, frames: int) -> None:
        self.opened = opened
        self.remaining = frames

    def isOpened(self) -> bool:
        return self.opened

    def grab(self) -> bool:
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def retrieve(self) -> tuple[bool, np.ndarray]:
        return True, np.zeros((4, 4, 3), dtype=np.uint8)

    def get(self, prop: int) -> float:
        return 0.0

    def release(self) -> None:
        self.opened = False


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0  # each read moves the capture clock by 1 s (every frame is due)
        return self.now


def test_network_source_reconnects_with_exponential_backoff() -> None:
    # given a camera that fails twice, streams 3 frames, drops, fails once, streams 2
    captures = iter(
        [
            FakeCapture(False, 0),
            FakeCapture(False, 0),
            FakeCapture(True, 3),
            FakeCapture(False, 0),
            FakeCapture(True, 2),
        ]
    )
    opener_calls: list[Any] = []

    def opener(target: Any) -> FakeCapture:
        opener_calls.append(target)
        try:
            return next(captures)
        except StopIteration:
            return FakeCapture(False, 0)

    sleeps: list[float] = []
    source = VideoSource(
        "rtsp://cam.local/stream",
        fps=1,
        reconnect=ReconnectPolicy(base_delay=1.0, max_delay=30.0, max_attempts=3),
        opener=opener,
        monotonic=FakeClock(),
        sleep=sleeps.append,
    )
    # when the camera finally stays away, the agent gives up with an AgentError
    frames = []
    with pytest.raises(AgentError, match="after 4 attempts"):
        for frame in source.frames():
            frames.append(frame)
    # then frames of both connections came through, as two segments, after backoff waits
    assert [f.segment for f in frames] == [0, 0, 0, 1, 1]
    assert sleeps == [1.0, 2.0, 1.0, 1.0, 2.0, 4.0]


def test_reconnect_waits_are_capped_at_max_delay() -> None:
    # given a camera that never opens, waits from 1 s capped at 3 s, 4 retries
    sleeps: list[float] = []
    source = VideoSource(
        "rtsp://cam.local/stream",
        fps=1,
        reconnect=ReconnectPolicy(base_delay=1.0, max_delay=3.0, max_attempts=4),
        opener=lambda target: FakeCapture(False, 0),
        sleep=sleeps.append,
    )
    # when / then the agent gives up after the first open and 4 retries
    with pytest.raises(AgentError, match="after 5 attempts"):
        list(source.frames())
    assert sleeps == [1.0, 2.0, 3.0, 3.0]


def test_network_credentials_never_appear_in_errors() -> None:
    # given
    source = VideoSource(
        "rtsp://admin:secret@cam.local/stream",
        fps=1,
        reconnect=ReconnectPolicy(max_attempts=0),
        opener=lambda target: FakeCapture(False, 0),
        sleep=lambda s: None,
    )
    # when
    with pytest.raises(AgentError) as raised:
        list(source.frames())
    # then
    assert "secret" not in str(raised.value)
    assert "cam.local" in str(raised.value)


class SteppedClock:
    """A monotonic clock that only moves when the source sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_max_seconds_bounds_the_reconnect_waits_of_a_camera_that_never_answers() -> None:
    # given a camera that refuses every connection, 10 retries allowed, a 20 s deadline
    clock = SteppedClock()
    source = VideoSource(
        "rtsp://cam.local/stream",
        fps=1,
        reconnect=ReconnectPolicy(base_delay=1.0, max_delay=30.0, max_attempts=10),
        opener=lambda target: FakeCapture(False, 0),
        monotonic=clock,
        sleep=clock.sleep,
        deadline_seconds=20.0,
    )
    # when / then: it gives up before the deadline, naming --max-seconds, without waiting past it
    with pytest.raises(AgentError, match="before --max-seconds ran out"):
        list(source.frames())
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0] and clock.now <= 20.0


def test_a_drop_near_the_deadline_ends_the_frames_without_an_error() -> None:
    # given a camera that streams 3 frames and then never answers again, a 10 s deadline
    clock = SteppedClock()
    captures = iter([FakeCapture(True, 3)])
    source = VideoSource(
        "rtsp://cam.local/stream",
        fps=1,
        reconnect=ReconnectPolicy(base_delay=4.0, max_delay=30.0, max_attempts=10),
        opener=lambda target: next(captures, FakeCapture(False, 0)),
        monotonic=clock,
        sleep=clock.sleep,
        deadline_seconds=10.0,
    )
    # when it is read; then its frame came (this clock stands still: one is due) and the run
    # simply ends at the deadline, after one wait, without an error
    frames = list(source.frames())
    assert [f.segment for f in frames] == [0]
    assert clock.sleeps == [4.0] and clock.now <= 10.0


def test_a_stop_request_ends_the_reconnect_waits_quietly() -> None:
    # given a camera that never answers and a stop requested after the second wait
    clock = SteppedClock()
    source = VideoSource(
        "rtsp://cam.local/stream",
        fps=1,
        reconnect=ReconnectPolicy(base_delay=1.0, max_delay=30.0, max_attempts=10),
        opener=lambda target: FakeCapture(False, 0),
        monotonic=clock,
        sleep=clock.sleep,
        stop_requested=lambda: len(clock.sleeps) >= 2,
    )
    # when / then: no frame, no error, no further wait
    assert list(source.frames()) == []
    assert clock.sleeps == [1.0, 2.0]
