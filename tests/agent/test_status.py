"""The status line: live on a terminal, periodic structured log lines otherwise."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from facewatch.agent.logs import format_event
from facewatch.agent.status import Counters, StatusReporter


def counters() -> Counters:
    return Counters(frames_read=300, frames_analysed=50, faces=20, matches=7, records_sent=18)


def test_terminal_gets_a_live_status_line() -> None:
    # given a terminal console
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    # when
    with StatusReporter("door", console=console, clock=lambda: 10.0) as reporter:
        reporter.update(counters())
    # then the line names every counter
    text = out.getvalue()
    for part in ["read 300 frames", "analysed 50", "faces 20", "matches 7", "records sent 18"]:
        assert part in text


def test_without_terminal_status_is_logged_every_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a non-terminal reporter logging every 10 s
    now = [0.0]
    reporter = StatusReporter("door", live=False, log_interval=10.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="facewatch.agent.status"), reporter:
        # when updated at 5 s and at 12 s
        now[0] = 5.0
        reporter.update(counters())
        now[0] = 12.0
        reporter.update(counters())
    # then one key=value line, at 12 s, with the frame rate
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert lines[0].startswith("event=agent.status camera=door fps=25 ")
    assert "records_sent=18" in lines[0]


def test_log_values_with_spaces_are_quoted() -> None:
    # when
    line = format_event("source.retry", source="my cam", attempt=2)
    # then
    assert line == 'event=source.retry source="my cam" attempt=2'
