"""The facewatch camera agent (edge analysis mode).

Reads a camera, detects and tracks faces locally, asks a Rekognition-shaped backend
(SearchFacesByImage) who they are at most once per track and search interval, and
writes one record per analysed frame with faces, in the Rekognition stream processor
schema (`facewatch/schemas/stream_processor_record.json`), to Kinesis Data Streams,
with the frame and face crops uploaded to S3 as snapshots.
"""

from __future__ import annotations

from .config import AgentConfig, ReconnectPolicy
from .errors import AgentError
from .record_builder import RecordBuilder
from .runner import RunSummary, run
from .sinks import KinesisSink, ListSink
from .snapshots import SnapshotUploader

__all__ = [
    "AgentConfig",
    "AgentError",
    "KinesisSink",
    "ListSink",
    "ReconnectPolicy",
    "RecordBuilder",
    "RunSummary",
    "SnapshotUploader",
    "run",
]
