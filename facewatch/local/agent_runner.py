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

from facewatch.agent.config import ReconnectPolicy

from .resources import LocalResources

# A local camera that cannot be opened fails its processor within seconds (1 + 2 + 4 s of
# waits), where `camera run`'s default keeps trying for minutes: the local mode is where a
# user checks a camera URL, and FAILED with the reason is the answer they need.
LOCAL_RECONNECT = ReconnectPolicy(max_attempts=3)


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
            reconnect=LOCAL_RECONNECT,
            camera=processor.camera,
            source=source,
            collection_id=processor.collection_id,
            stream_arn=processor.input["KinesisVideoStream"]["Arn"],
            fps=self.fps,
            threshold=processor.threshold,
        )
        # A stop (stop_stream_processor, local down) also ends the reconnect waits of a
        # camera that does not answer; a camera that never answers fails the processor with
        # the agent's error as its StatusMessage, as describe-stream-processor shows on AWS.
        frames = VideoSource(
            source,
            fps=config.fps,
            reconnect=config.reconnect,
            sleep=stop.wait,
            stop_requested=stop.is_set,
        ).frames()
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
