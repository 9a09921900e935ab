"""Running the camera agent for a started stream processor (what Rekognition would do).

`StreamProcessors` (stream_processors.py) calls `AgentRunner.run` on its own thread when a
processor starts: the agent reads the camera's source, searches each sampled face in the
local engine and writes the records to the processor's data stream, snapshots to the audit
bucket, until the source ends or the processor is stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .resources import LocalResources


def stoppable(
    frames: Iterable[Any], stop: threading.Event, *, realtime: bool = False
) -> Iterator[Any]:
    """Frames until `stop`; with `realtime`, each frame waits for its producer time, so a
    file plays like a live camera (the agent otherwise reads files as fast as it can)."""
    for frame in frames:
        if realtime:
            stop.wait(max(0.0, frame.epoch - time.time()))
        if stop.is_set():
            return
        yield frame


class AgentRunner:
    """Runs the agent for one processor; keeps each processor's last run summary."""

    def __init__(
        self,
        *,
        client: Callable[[str], Any],
        engine: Any,
        resources: LocalResources,
        fps: float,
        realtime: bool,
    ) -> None:
        self.client = client
        self.engine = engine
        self.resources = resources
        self.fps = fps
        self.realtime = realtime
        self.summaries: dict[str, Any] = {}

    def run(self, processor: Any, source: str, stop: threading.Event) -> None:
        from facewatch.agent import AgentConfig, KinesisSink, SnapshotUploader, run
        from facewatch.agent.source import VideoSource

        config = AgentConfig(
            camera=processor.camera,
            source=source,
            collection_id=processor.collection_id,
            stream_arn=processor.input["KinesisVideoStream"]["Arn"],
            fps=self.fps,
            threshold=processor.threshold,
        )
        frames = VideoSource(source, fps=config.fps, reconnect=config.reconnect).frames()
        sink = KinesisSink(
            self.client("kinesis"), processor.data_stream_arn.rsplit("/", 1)[1], linger=0.2
        )
        uploader = SnapshotUploader(
            self.client("s3"), self.resources.audit_bucket, processor.camera
        )
        self.summaries[processor.name] = run(
            config,
            self.engine,
            sink,
            uploader,
            frames=stoppable(frames, stop, realtime=self.realtime),
        )
