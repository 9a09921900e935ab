"""The commands the stack outputs, as pure functions."""

from __future__ import annotations

import shlex

from infra import commands


def test_face_search_processor_is_started_without_selectors() -> None:
    start = commands.stream_processor_commands("front-door", "us-east-1")["start"]

    # StartSelector/StopSelector are for label detection; the API reference says they
    # "should not be used to start a face search stream processor".
    assert shlex.split(start) == [
        "aws", "rekognition", "start-stream-processor",
        "--name", "facewatch-front-door", "--region", "us-east-1",
    ]  # fmt: skip
    assert "selector" not in start


def test_rtsp_producer_takes_the_url_from_the_environment() -> None:
    command = commands.rtsp_producer_command("gate", "us-west-2")

    assert 'location="$RTSP_URL"' in command
    assert command.endswith("kvssink stream-name=gate aws-region=us-west-2")
    assert "access-key" not in command and "secret-key" not in command
