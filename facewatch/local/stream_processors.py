"""Rekognition stream processors, answered locally: starting one runs the camera agent.

moto has no stream processors and Kinesis Video Streams cannot be fed locally, so the
local mode's Rekognition endpoint puts `StreamProcessors` in front of the face engine:
CreateStreamProcessor / StartStreamProcessor / StopStreamProcessor /
DescribeStreamProcessor / ListStreamProcessors / DeleteStreamProcessor are handled
here with Rekognition's request and response shapes, every other operation goes to
the engine. Starting a processor runs the camera agent (in a thread) on the source
registered for its camera (the stream-name segment of its Kinesis video stream ARN,
as in the stack); it writes the same records a stream processor would to the
processor's output data stream. When a file source ends the processor is STOPPED.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from facewatch.engine.errors import RekognitionError, ResourceNotFoundException
from facewatch.workflows.records import camera_from_stream_arn

# launch(processor, source, stop_event) runs the analysis until the source ends or
# stop_event is set; an exception marks the processor FAILED with its message.
Launcher = Callable[["StreamProcessor", str, threading.Event], None]


def _in_use(message: str) -> RekognitionError:
    return RekognitionError("ResourceInUseException", message)


def _invalid(message: str) -> RekognitionError:
    return RekognitionError("InvalidParameterException", message)


@dataclass
class StreamProcessor:
    name: str
    arn: str
    input: dict[str, Any]
    output: dict[str, Any]
    settings: dict[str, Any]
    role_arn: str
    status: str = "STOPPED"
    status_message: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def camera(self) -> str:
        return camera_from_stream_arn(self.input["KinesisVideoStream"]["Arn"])

    @property
    def data_stream_arn(self) -> str:
        return str(self.output["KinesisDataStream"]["Arn"])

    @property
    def collection_id(self) -> str:
        return str(self.settings["FaceSearch"]["CollectionId"])

    @property
    def threshold(self) -> float:
        return float(self.settings["FaceSearch"].get("FaceMatchThreshold", 80.0))

    def set_status(self, status: str, message: str = "") -> None:
        self.status, self.status_message = status, message
        self.updated = datetime.now(UTC)


class StreamProcessors:
    """Stream processor operations in boto3 style; anything else is the engine's."""

    def __init__(
        self,
        engine: Any,
        *,
        launch: Launcher,
        sources: dict[str, str] | None = None,
        region: str = "us-east-1",
        account: str = "123456789012",
    ) -> None:
        self.engine = engine
        self.launch = launch
        self.sources = dict(sources or {})
        self.region = region
        self.account = account
        self._processors: dict[str, StreamProcessor] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        # Collections, IndexFaces, SearchFacesByImage, ...: the face engine answers.
        return getattr(self.engine, name)

    def _get(self, name: str) -> StreamProcessor:
        try:
            return self._processors[name]
        except KeyError:
            raise ResourceNotFoundException(f"Stream processor {name} not found.") from None

    def create_stream_processor(
        self,
        *,
        Input: dict[str, Any],
        Output: dict[str, Any],
        Name: str,
        Settings: dict[str, Any],
        RoleArn: str,
        **_: Any,
    ) -> dict[str, Any]:
        if "KinesisVideoStream" not in Input or "KinesisDataStream" not in Output:
            raise _invalid(
                "the local mode runs face-search processors: Input.KinesisVideoStream.Arn "
                "and Output.KinesisDataStream.Arn are required"
            )
        if "FaceSearch" not in Settings:
            raise _invalid("Settings.FaceSearch.CollectionId is required")
        with self._lock:
            if Name in self._processors:
                raise _in_use(f"Stream processor {Name} already exists.")
            arn = f"arn:aws:rekognition:{self.region}:{self.account}:streamprocessor/{Name}"
            self._processors[Name] = StreamProcessor(Name, arn, Input, Output, Settings, RoleArn)
        return {"StreamProcessorArn": arn}

    def describe_stream_processor(self, *, Name: str, **_: Any) -> dict[str, Any]:
        p = self._get(Name)
        return {
            "Name": p.name,
            "StreamProcessorArn": p.arn,
            "Status": p.status,
            "StatusMessage": p.status_message,
            "CreationTimestamp": p.created,
            "LastUpdateTimestamp": p.updated,
            "Input": p.input,
            "Output": p.output,
            "RoleArn": p.role_arn,
            "Settings": p.settings,
        }

    def list_stream_processors(self, **_: Any) -> dict[str, Any]:
        return {
            "StreamProcessors": [
                {"Name": p.name, "Status": p.status} for p in self._processors.values()
            ]
        }

    def start_stream_processor(self, *, Name: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            p = self._get(Name)
            if p.status in ("STARTING", "RUNNING", "STOPPING"):
                raise _in_use(f"Stream processor {Name} is {p.status}.")
            source = self.sources.get(p.camera)
            if source is None:
                raise _invalid(
                    f"no video source registered for camera {p.camera!r}: "
                    f"start the local mode with --camera {p.camera}=SOURCE"
                )
            p.stop_event = threading.Event()
            p.set_status("STARTING")
            p.thread = threading.Thread(
                target=self._run, args=(p, source), name=f"processor-{Name}", daemon=True
            )
            p.thread.start()
        return {"SessionId": str(uuid.uuid4())}

    def _run(self, p: StreamProcessor, source: str) -> None:
        p.set_status("RUNNING")
        try:
            self.launch(p, source, p.stop_event)
        except Exception as exc:  # visible in DescribeStreamProcessor, as on AWS
            p.set_status("FAILED", str(exc))
            return
        p.set_status("STOPPED")

    def stop_stream_processor(self, *, Name: str, **_: Any) -> dict[str, Any]:
        p = self._get(Name)
        if p.status not in ("STARTING", "RUNNING"):
            raise _in_use(f"Stream processor {Name} is {p.status}, not running.")
        p.set_status("STOPPING")
        p.stop_event.set()
        return {}

    def delete_stream_processor(self, *, Name: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            p = self._get(Name)
            if p.status in ("STARTING", "RUNNING", "STOPPING"):
                raise _in_use(f"Stream processor {Name} is {p.status}: stop it first.")
            del self._processors[Name]
        return {}

    def stop_all(self, timeout: float = 10.0) -> None:
        for p in list(self._processors.values()):
            p.stop_event.set()
        for p in list(self._processors.values()):
            if p.thread is not None:
                p.thread.join(timeout)

    def wait(self, name: str, timeout: float | None = None) -> str:
        """Wait for a started processor's analysis to end; returns its status."""
        p = self._get(name)
        if p.thread is not None:
            p.thread.join(timeout)
        return p.status
