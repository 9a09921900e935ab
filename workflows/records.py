"""The record contract between analysis (stream processor or camera agent) and the match workflow.

Every Kinesis Data Stream record is one JSON document in the Amazon Rekognition
stream processor output schema (InputInformation / StreamProcessorInformation /
FaceSearchResponse). Both analysis modes write it; everything downstream reads it.

Edge mode adds one top-level field, `FacewatchSnapshot`, naming the images the
camera agent uploaded for that frame, so the workflow needs no video archive:

    "FacewatchSnapshot": {
        "Bucket": "<audit bucket>",
        "FrameKey": "snapshots/<camera>/<epoch-ms>/frame.jpg",
        "FaceKeys": ["snapshots/<camera>/<epoch-ms>/face-0.jpg", ...]
    }

`FaceKeys[i]` is the crop of `FaceSearchResponse[i].DetectedFace`. Rekognition's
own records never carry the field; its presence is what the snapshot handler
uses to tell the modes apart.

The camera name is the stream-name segment of `InputInformation.KinesisVideo.StreamArn`
(`arn:<partition>:kinesisvideo:<region>:<account>:stream/<camera>/<suffix>`):
the stack names each Kinesis video stream after its camera, and the camera
agent writes `edge_stream_arn(...)` for cameras without a video stream.
"""

from __future__ import annotations

import re

SNAPSHOT_FIELD = "FacewatchSnapshot"
SNAPSHOT_PREFIX = "snapshots/"
AUDIT_PREFIX = "audit/"
# The dedupe table's TTL attribute (epoch seconds): the match workflow's conditional write
# reads it, DynamoDB TTL (the stack) and the local mode expire items by it.
DEDUPE_TTL_ATTRIBUTE = "expiresAt"
# Where the Pipe's enrichment (handlers/decode.py) writes, as received, the records a
# Step Functions execution input cannot hold (too big, or large malformed ones).
OFFLOAD_PREFIX = "oversized/"
EDGE_STREAM_SUFFIX = "edge"
# Each camera's Rekognition stream processor (stream-processor mode, and the local mode's
# stand-in) is named PROCESSOR_PREFIX + camera.
PROCESSOR_PREFIX = "facewatch-"


# Kinesis Video Streams StreamName: [a-zA-Z0-9_.-]+, 1..256 characters (the video stream is
# named after its camera). Rekognition StreamProcessorName: [a-zA-Z0-9_.\-]+, 1..128; the
# processor is named PROCESSOR_PREFIX + camera, so the camera part gets 128 - len(prefix).
# The stack's config and the camera agent both apply this one rule, so a camera the agent
# accepts can also be declared in the stack.
CAMERA_NAME_RE = re.compile(r"[a-zA-Z0-9_.-]+")
CAMERA_NAME_MAX = 128 - len(PROCESSOR_PREFIX)


def processor_name(camera: str) -> str:
    return f"{PROCESSOR_PREFIX}{camera}"


def is_valid_camera_name(name: str) -> bool:
    return bool(CAMERA_NAME_RE.fullmatch(name)) and len(name) <= CAMERA_NAME_MAX


def edge_stream_arn(camera: str, *, region: str, account_id: str, partition: str = "aws") -> str:
    """The stable, video-stream-shaped ARN that names an edge camera in its records."""
    stream = f"stream/{camera}/{EDGE_STREAM_SUFFIX}"
    return f"arn:{partition}:kinesisvideo:{region}:{account_id}:{stream}"


def camera_from_stream_arn(stream_arn: str) -> str:
    """The camera name a record belongs to (handlers/decode.py reads it the same way, checked)."""
    return stream_arn.split("/")[1]
