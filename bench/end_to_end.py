"""End-to-end figures of the local pipeline, printed.

1. Alert latency: ground truth first: detection + recognition run offline on every frame
   of the clip (upsampled detector, same descriptor and similarity as the engine) give the
   clip time of the first frame where Lin-Manuel Miranda matches. Then the clip is played
   in real time (as a live camera would deliver it) on N fresh cameras in turn (fresh
   cameras, so dedupe never suppresses the alert being timed), with him enrolled. Each
   sample runs from that frame's wall time (t0 + its clip time, t0 = the
   StartStreamProcessor call, so the agent's start-up counts against us) to the moment the
   webhook request of his alert is captured. p50 / p95 over the cameras
   (`statistics.quantiles`, n >= 20 by default).
2. Sustained record rate: records naming him are put on the data stream at increasing rates
   for a few seconds each; a rate is sustained when, once the writes stop, the Pipe has read
   every record written (its count before the writes plus the number sent) and every
   execution has finished within `--drain-limit` seconds (otherwise the pipeline lags
   behind its input). Prints the highest sustained rate.

Usage: .venv/bin/python bench/end_to_end.py [--cameras 20] [--rates 2,5,10,20,40]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from facewatch.local import scenario  # noqa: E402
from facewatch.local.resources import LocalResources  # noqa: E402
from facewatch.local.server import LocalMode  # noqa: E402
from facewatch.local.sink import captured  # noqa: E402
from facewatch.workflows.records import processor_name  # noqa: E402

SHARED_CLIP = REPO.parent / "shared" / "data" / "video" / "short_hamilton_clip.mp4"
CLIP = SHARED_CLIP if SHARED_CLIP.is_file() else REPO / "sample_data/video/short_hamilton_clip.mp4"
LIN = "Lin-Manuel Miranda"
PHOTO = REPO / "sample_data" / "faces" / "lin-manuel-miranda.png"
THRESHOLD = 80.0  # the local stream processors' FaceMatchThreshold


def first_appearance(clip: Path, photo: Path) -> tuple[int, float, float] | None:
    """(frame index, clip time in s, similarity) of the first frame of `clip`, all frames
    examined, where a face matches the person of `photo` at THRESHOLD or above."""
    import cv2
    import numpy as np
    from PIL import Image

    from facewatch.engine.detection import detect_faces
    from facewatch.engine.embedding import (
        face_descriptor,
        face_distances,
        similarity_from_distance,
    )

    reference = np.asarray(Image.open(photo).convert("RGB"))
    known = face_descriptor(reference, max(detect_faces(reference, 1), key=lambda b: b.area))
    capture = cv2.VideoCapture(str(clip))
    try:
        index = -1
        while capture.grab():
            index += 1
            position = float(capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
            ok, bgr = capture.retrieve()
            if not ok:
                continue
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            for box in detect_faces(rgb, 1):
                distance = float(face_distances(known[None, :], face_descriptor(rgb, box))[0])
                similarity = similarity_from_distance(distance)
                if similarity >= THRESHOLD:
                    return index, position, similarity
    finally:
        capture.release()
    return None


def webhook_times(local: LocalMode, camera: str) -> list[float]:
    # The capture sink writes each request file in place: one being written reads as
    # invalid JSON for a moment, so read again shortly after.
    for _ in range(50):
        try:
            requests = captured(local.paths.sink)
            break
        except json.JSONDecodeError:
            time.sleep(0.01)
    else:
        raise RuntimeError(f"unreadable capture files in {local.paths.sink}")
    return [
        float(r["time"])
        for r in requests
        if r["channel"] == "webhook"
        and isinstance(r["body"], dict)
        and r["body"].get("camera") == camera
    ]


def latency_sample(local: LocalMode, camera: str, appears_at: float) -> float | None:
    """Play the clip on `camera` until his webhook arrives (then stop the camera)."""
    rekognition = local.client("rekognition")
    name = processor_name(camera)
    t0 = time.time()
    rekognition.start_stream_processor(Name=name)
    deadline = time.monotonic() + 60
    sample = None
    while time.monotonic() < deadline:
        times = webhook_times(local, camera)
        if times:
            sample = min(times) - (t0 + appears_at)
            break
        if rekognition.describe_stream_processor(Name=name)["Status"] in ("STOPPED", "FAILED"):
            local.wait_idle(30)
            times = webhook_times(local, camera)
            sample = min(times) - (t0 + appears_at) if times else None
            break
        time.sleep(0.02)
    if rekognition.describe_stream_processor(Name=name)["Status"] in ("STARTING", "RUNNING"):
        rekognition.stop_stream_processor(Name=name)
    assert local.processors is not None
    local.processors.wait(name, timeout=30)
    local.wait_idle(30)
    return sample


def latency(local: LocalMode, cameras: list[str], appears_at: float) -> list[float]:
    samples = []
    for camera in cameras:
        sample = latency_sample(local, camera, appears_at)
        if sample is None:
            print(f"  {camera}: no alert")
            continue
        samples.append(sample)
        print(f"  {camera}: {sample:.2f} s")
    return samples


def synthetic_record(camera: str, face: dict[str, Any], account: str, region: str) -> bytes:
    arn = f"arn:aws:kinesisvideo:{region}:{account}:stream/{camera}/edge"
    now = time.time()
    return json.dumps(
        {
            "InputInformation": {
                "KinesisVideo": {
                    "StreamArn": arn,
                    "FragmentNumber": str(int(now * 1000)),
                    "ServerTimestamp": now,
                    "ProducerTimestamp": now,
                    "FrameOffsetInSeconds": 0,
                }
            },
            "StreamProcessorInformation": {"Status": "RUNNING"},
            "FaceSearchResponse": [
                {
                    "DetectedFace": {
                        "BoundingBox": {"Width": 0.2, "Height": 0.3, "Left": 0.4, "Top": 0.1},
                        "Confidence": 99.9,
                    },
                    "MatchedFaces": [{"Similarity": 95.0, "Face": face}],
                }
            ],
        }
    ).encode()


def settled_records_read(local: LocalMode) -> int:
    """The Pipe's read count once it stopped moving (the previous phase fully read)."""
    if local.pipe is None:
        raise RuntimeError("the local mode runs without its Pipe: no rate to measure")
    local.wait_idle(60)
    scenario.wait_pipe_settled(local)
    return local.pipe.stats.records_read


def sustained_rate(
    local: LocalMode, rates: list[int], seconds: float, drain_limit: float
) -> list[tuple[int, float, bool]]:
    faces = local.engine.list_faces(CollectionId=local.resources.collection_id)["Faces"]
    face = {k: faces[0][k] for k in ("FaceId", "ExternalImageId", "ImageId", "Confidence")}
    kinesis = local.client("kinesis")
    results = []
    for rate in rates:
        camera = f"rate-{rate}"
        before = settled_records_read(local)
        start = time.monotonic()
        sent = 0
        while time.monotonic() - start < seconds:
            due = int((time.monotonic() - start) * rate) + 1
            while sent < due:
                data = synthetic_record(camera, face, "123456789012", local.resources.region)
                kinesis.put_record(
                    StreamName=local.resources.data_stream, Data=data, PartitionKey=camera
                )
                sent += 1
            time.sleep(0.01)
        stopped = time.monotonic()
        target = before + sent
        # Drain: the pipe read all we wrote and no execution is still running.
        while local.pipe is not None and time.monotonic() - stopped < 60:
            if local.pipe.stats.records_read >= target and local.wait_idle(0.5):
                break
        drain = time.monotonic() - stopped
        ok = drain <= drain_limit
        results.append((rate, drain, ok))
        print(
            f"  {rate:4d} records/s for {seconds:.0f} s: drained in {drain:.2f} s "
            f"({'sustained' if ok else 'lags'})"
        )
        if not ok:
            break
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cameras", type=int, default=20)
    parser.add_argument("--rates", default="2,5,10,20,40")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--drain-limit", type=float, default=2.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    print(f"ground truth: every frame of {CLIP.name}, detection + recognition offline ...")
    truth = first_appearance(CLIP, PHOTO)
    if truth is None:
        sys.exit(f"{LIN} never matches in {CLIP}: no latency to measure")
    frame, appears_at, similarity = truth
    print(
        f"  {LIN} first matches at frame {frame} (clip time {appears_at:.3f} s, "
        f"similarity {similarity:.1f})"
    )
    cameras = [f"bench-{i}" for i in range(args.cameras)]
    with tempfile.TemporaryDirectory() as root:
        local = LocalMode(
            Path(root),
            resources=LocalResources(cameras=dict.fromkeys(cameras, str(CLIP))),
            realtime=True,
        )
        with local:
            scenario.enrol(local, PHOTO, LIN)
            print(
                f"alert latency, clip played in real time on {len(cameras)} fresh cameras; "
                f"start point: t0 + {appears_at:.3f} s (frame {frame}), t0 = the "
                "StartStreamProcessor call; end point: his webhook request captured"
            )
            samples = latency(local, cameras, appears_at)
            if len(samples) >= 2:
                cuts = statistics.quantiles(samples, n=100, method="inclusive")
                print(
                    f"latency p50 {statistics.median(samples):.2f} s, p95 {cuts[94]:.2f} s, "
                    f"max {max(samples):.2f} s (n={len(samples)})"
                )
            else:
                print(f"too few latency samples for percentiles: {samples}")
            print("sustained record rate (records naming an enrolled person):")
            results = sustained_rate(
                local, [int(r) for r in args.rates.split(",")], args.seconds, args.drain_limit
            )
            best = max((rate for rate, _, ok in results if ok), default=0)
            print(
                f"highest sustained rate: {best} records/s (drain limit {args.drain_limit:.1f} s)"
            )


if __name__ == "__main__":
    main()
