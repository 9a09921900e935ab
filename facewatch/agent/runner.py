"""The agent loop: sample frames, detect, track, search when due, build records, send them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .config import AgentConfig
from .logs import log_event
from .record_builder import FaceResult, RecordBuilder
from .search import SearchBackend, crop_face, encode_jpeg, search_crop
from .sinks import RecordSink
from .snapshots import SnapshotUploader
from .source import Frame, VideoSource
from .status import Counters, StatusReporter
from .tracker import IouTracker

log = logging.getLogger("facewatch.agent")

Detector = Callable[[np.ndarray, int], list[Any]]


@dataclass
class RunSummary:
    counters: Counters
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.counters.undelivered == 0


def _default_detector(rgb: np.ndarray, upsample: int) -> list[Any]:
    from facewatch.engine.detection import detect_faces

    return detect_faces(rgb, upsample=upsample)


def run(
    config: AgentConfig,
    backend: SearchBackend,
    sink: RecordSink,
    snapshots: SnapshotUploader | None = None,
    *,
    frames: Iterable[Frame] | None = None,
    detector: Detector | None = None,
    status: StatusReporter | None = None,
    builder: RecordBuilder | None = None,
) -> RunSummary:
    """Analyse `config.source` (or the given `frames`) until it ends, `max_seconds` of
    video have been analysed, or Ctrl-C; pending records are always flushed."""
    source: VideoSource | None = None
    if frames is None:
        source = VideoSource(
            config.source,
            fps=config.fps,
            reconnect=config.reconnect,
            deadline_seconds=config.max_seconds,  # bounds reconnect waits too
        )
        frames = source.frames()
    detect = detector or _default_detector
    builder = builder or RecordBuilder(config.stream_arn)
    tracker = IouTracker(max_age=max(1.0, 2.0 / config.fps))
    counters = Counters()
    summary = RunSummary(counters)
    reporter = status or StatusReporter(config.camera, live=False)
    log_event(
        log,
        logging.INFO,
        "agent.start",
        camera=config.camera,
        fps=config.fps,
        search_interval=config.search_interval,
        collection=config.collection_id,
        stream_arn=config.stream_arn,
    )
    first_epoch: float | None = None
    segment = 0
    failed = True
    try:
        with reporter:
            for frame in frames:
                if first_epoch is None:
                    first_epoch = frame.epoch
                elapsed = frame.epoch - first_epoch
                if config.max_seconds is not None and elapsed > config.max_seconds:
                    break
                if frame.segment != segment:
                    segment = frame.segment
                    tracker.reset()
                _analyse(
                    config, frame, detect, tracker, backend, builder, sink, snapshots, counters
                )
                counters.frames_read = (
                    source.stats.frames_read if source else counters.frames_analysed
                )
                _sync_sink(counters, sink, snapshots)
                reporter.update(counters)
            failed = False
    except KeyboardInterrupt:
        summary.interrupted = True
        failed = False
        log_event(log, logging.INFO, "agent.interrupted", camera=config.camera)
    finally:
        _flush(sink, raise_errors=not failed)
        if source is not None:
            counters.frames_read = source.stats.frames_read
        _sync_sink(counters, sink, snapshots)
        reporter.update(counters, force=True)
        log_event(log, logging.INFO, "agent.stop", camera=config.camera, **vars(counters))
    return summary


def _analyse(
    config: AgentConfig,
    frame: Frame,
    detect: Detector,
    tracker: IouTracker,
    backend: SearchBackend,
    builder: RecordBuilder,
    sink: RecordSink,
    snapshots: SnapshotUploader | None,
    counters: Counters,
) -> None:
    counters.frames_analysed += 1
    rgb = cv2.cvtColor(frame.bgr, cv2.COLOR_BGR2RGB)
    boxes = detect(rgb, config.upsample)
    if not boxes:
        sink.tick()
        return
    now = frame.epoch
    tracks = tracker.update(boxes, now)
    crops = [encode_jpeg(crop_face(frame.bgr, track.box)) for track in tracks]
    faces: list[FaceResult] = []
    for box, track, crop in zip(boxes, tracks, crops, strict=True):
        matches = track.matches
        if track.search_due(now, config.search_interval):
            counters.searches += 1
            outcome = search_crop(
                backend,
                crop,
                collection_id=config.collection_id,
                threshold=config.threshold,
                max_faces=config.max_faces,
            )
            if outcome.searched:
                track.remember(now, outcome.matches)
            matches = outcome.matches
        faces.append(FaceResult(track.box, float(box.confidence), list(matches)))
    counters.faces += len(faces)
    counters.matches += sum(1 for face in faces if face.matches)
    fragment = builder.fragment_number(frame)
    snapshot = None
    if snapshots is not None and (
        config.snapshot_policy == "all"
        or (config.snapshot_policy == "matches" and any(face.matches for face in faces))
    ):
        snapshot = snapshots.upload(fragment, encode_jpeg(frame.bgr), crops)
    record = builder.build(frame, fragment, faces, snapshot)
    counters.records += 1
    sink.put(record, config.camera)
    sink.tick()


def _sync_sink(counters: Counters, sink: RecordSink, snapshots: SnapshotUploader | None) -> None:
    counters.records_sent = sink.sent
    counters.undelivered = sink.undelivered
    if snapshots is not None:
        counters.snapshots = snapshots.uploaded


def _flush(sink: RecordSink, *, raise_errors: bool) -> None:
    try:
        sink.flush()
    except Exception as exc:
        if raise_errors:
            raise
        # Another error is already on its way out; report this one without masking it.
        log_event(log, logging.ERROR, "sink.flush_failed", error=str(exc))
