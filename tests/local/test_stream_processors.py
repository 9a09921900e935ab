"""The local stream processor API: lifecycle and Rekognition's errors, with a fake agent.

The launcher stands in for the camera agent: it "analyses" until its stop event is set (a
live camera) or returns at once (a file that ended), so no video is decoded.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from facewatch.engine.errors import RekognitionError, ResourceNotFoundException
from facewatch.local.stream_processors import StreamProcessor, StreamProcessors

CAMERA = "door"
NAME = "facewatch-door"


class FakeAgent:
    """Runs until stopped, like the agent on a live camera; records what it was given."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.calls: list[tuple[str, str]] = []

    def __call__(self, processor: StreamProcessor, source: str, stop: threading.Event) -> None:
        self.calls.append((processor.name, source))
        self.running.set()
        stop.wait(10)


def create(processors: StreamProcessors, name: str = NAME, camera: str = CAMERA) -> None:
    processors.create_stream_processor(
        Name=name,
        Input={"KinesisVideoStream": {"Arn": f"arn:aws:kinesisvideo:r:1:stream/{camera}/local"}},
        Output={"KinesisDataStream": {"Arn": "arn:aws:kinesis:r:1:stream/records"}},
        Settings={"FaceSearch": {"CollectionId": "faces", "FaceMatchThreshold": 80.0}},
        RoleArn="arn:aws:iam::1:role/processor",
    )


@pytest.fixture
def agent() -> FakeAgent:
    return FakeAgent()


@pytest.fixture
def processors(agent: FakeAgent) -> Any:
    api = StreamProcessors(engine=object(), launch=agent, sources={CAMERA: "door.mp4"})
    create(api)
    yield api
    api.stop_all(timeout=5)


def status(processors: StreamProcessors, name: str = NAME) -> str:
    return str(processors.describe_stream_processor(Name=name)["Status"])


def test_start_runs_the_agent_on_the_cameras_source(
    processors: StreamProcessors, agent: FakeAgent
) -> None:
    # when
    processors.start_stream_processor(Name=NAME)
    # then
    assert agent.running.wait(5)
    assert agent.calls == [(NAME, "door.mp4")]
    assert status(processors) == "RUNNING"


def test_stop_while_running_ends_the_agent_and_reports_stopped(
    processors: StreamProcessors, agent: FakeAgent
) -> None:
    # given: a running processor
    processors.start_stream_processor(Name=NAME)
    assert agent.running.wait(5)
    thread = processors._processors[NAME].thread
    # when
    processors.stop_stream_processor(Name=NAME)
    # then: the agent thread ends and the processor is STOPPED
    assert processors.wait(NAME, timeout=5) == "STOPPED"
    assert thread is not None and not thread.is_alive()


def test_start_without_a_registered_source_is_a_rekognition_style_error(agent: FakeAgent) -> None:
    # given: a processor for a camera with no video source
    api = StreamProcessors(engine=object(), launch=agent, sources={})
    create(api)
    # when
    with pytest.raises(RekognitionError) as raised:
        api.start_stream_processor(Name=NAME)
    # then: an InvalidParameterException naming the camera and how to register it
    assert raised.value.code == "InvalidParameterException"
    assert "no video source registered for camera 'door'" in str(raised.value)
    assert "--camera door=SOURCE" in str(raised.value)
    assert agent.calls == []
    assert status(api) == "STOPPED"


def test_start_twice_is_resource_in_use(processors: StreamProcessors, agent: FakeAgent) -> None:
    # given
    processors.start_stream_processor(Name=NAME)
    # when
    with pytest.raises(RekognitionError) as raised:
        processors.start_stream_processor(Name=NAME)
    # then: refused, and the agent was started once
    assert raised.value.code == "ResourceInUseException"
    assert agent.running.wait(5)
    assert len(agent.calls) == 1


def test_delete_removes_the_processor_from_the_list(processors: StreamProcessors) -> None:
    # given: a second processor
    create(processors, name="facewatch-yard", camera="yard")
    # when
    processors.delete_stream_processor(Name=NAME)
    # then
    listed = processors.list_stream_processors()["StreamProcessors"]
    assert [p["Name"] for p in listed] == ["facewatch-yard"]
    with pytest.raises(ResourceNotFoundException):
        processors.describe_stream_processor(Name=NAME)


def test_deleting_an_unknown_processor_is_resource_not_found(
    processors: StreamProcessors,
) -> None:
    # when
    with pytest.raises(RekognitionError) as raised:
        processors.delete_stream_processor(Name="facewatch-nope")
    # then
    assert raised.value.code == "ResourceNotFoundException"


def test_deleting_a_running_processor_is_refused(
    processors: StreamProcessors, agent: FakeAgent
) -> None:
    # given
    processors.start_stream_processor(Name=NAME)
    assert agent.running.wait(5)
    # when
    with pytest.raises(RekognitionError) as raised:
        processors.delete_stream_processor(Name=NAME)
    # then: it is still there, still running
    assert raised.value.code == "ResourceInUseException"
    assert status(processors) == "RUNNING"


def test_an_agent_failure_marks_the_processor_failed_with_its_message() -> None:
    # given: an agent that fails at once (an unreadable source)
    def broken(processor: StreamProcessor, source: str, stop: threading.Event) -> None:
        raise OSError(f"cannot open {source}")

    api = StreamProcessors(engine=object(), launch=broken, sources={CAMERA: "gone.mp4"})
    create(api)
    # when
    api.start_stream_processor(Name=NAME)
    # then
    assert api.wait(NAME, timeout=5) == "FAILED"
    assert api.describe_stream_processor(Name=NAME)["StatusMessage"] == "cannot open gone.mp4"
