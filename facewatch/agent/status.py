"""The running agent's status: a live `rich` line on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from .logs import log_event

log = logging.getLogger("facewatch.agent.status")


@dataclass
class Counters:
    frames_read: int = 0
    frames_analysed: int = 0
    faces: int = 0
    searches: int = 0
    matches: int = 0
    records: int = 0
    records_sent: int = 0
    undelivered: int = 0
    snapshots: int = 0


class StatusReporter:
    """Call `update(counters)` often; it redraws (TTY) or logs every `log_interval` s."""

    def __init__(
        self,
        camera: str,
        *,
        console: Console | None = None,
        live: bool | None = None,
        log_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.camera = camera
        self.console = console or Console(stderr=True)
        self.use_live = self.console.is_terminal if live is None else live
        self.log_interval = log_interval
        self._clock = clock
        self._started = clock()
        self._last_log = self._started
        self._live: Live | None = None

    def __enter__(self) -> StatusReporter:
        if self.use_live:
            self._live = Live(Text(""), console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def fps(self, counters: Counters) -> float:
        elapsed = max(self._clock() - self._started, 1e-9)
        return counters.frames_read / elapsed

    def line(self, counters: Counters) -> str:
        return (
            f"camera {self.camera}: read {counters.frames_read} frames, "
            f"analysed {counters.frames_analysed}, faces {counters.faces}, "
            f"matches {counters.matches}, records sent {counters.records_sent}"
            + (f", UNDELIVERED {counters.undelivered}" if counters.undelivered else "")
            + f", {self.fps(counters):.1f} fps"
        )

    def update(self, counters: Counters, *, force: bool = False) -> None:
        if self._live is not None:
            self._live.update(Text(self.line(counters)))
            return
        now = self._clock()
        if force or now - self._last_log >= self.log_interval:
            self._last_log = now
            log_event(
                log,
                logging.INFO,
                "agent.status",
                camera=self.camera,
                fps=round(self.fps(counters), 2),
                **asdict(counters),
            )
