"""End-to-end figures of the local pipeline, printed.

1. Alert latency: the clip is played in real time (as a live camera would deliver it) on
   N fresh cameras in turn, with Lin-Manuel Miranda enrolled. For each camera: from the
   producer time of the first frame whose record names him (the frame where he first
   appears, as far as the agent can tell) to the moment the webhook request of his alert is
   captured. Printed as p50 / p95 over the cameras.
2. Sustained record rate: records naming him are put on the data stream at increasing rates
   for a few seconds each; a rate is sustained when, once the writes stop, the Pipe has read
   everything and every execution has finished within `--drain-limit` seconds (otherwise
   the pipeline lags behind its input). Prints the highest sustained rate.

Usage: .venv/bin/python bench/end_to_end.py [--cameras 5] [--rates 2,5,10,20,40]
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
from facewatch.local.notifications import AuditWatcher  # noqa: E402
from facewatch.local.resources import LocalResources  # noqa: E402
from facewatch.local.server import LocalMode  # noqa: E402
from facewatch.local.sink import captured  # noqa: E402

SHARED_CLIP = REPO.parent / "shared" / "data" / "video" / "short_hamilton_clip.mp4"
CLIP = SHARED_CLIP if SHARED_CLIP.is_file() else REPO / "sample_data/video/short_hamilton_clip.mp4"
LIN = "Lin-Manuel Miranda"
PHOTO = REPO / "sample_data" / "faces" / "lin-manuel-miranda.png"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def first_match_time(alerts: list[Any], camera: str) -> float | None:
    times = [
        float(a.document["record"]["data"]["InputInformation"]["KinesisVideo"]["ProducerTimestamp"])
        for a in alerts
        if a.camera == camera and a.name == LIN
    ]
    return min(times) if times else None


def latency(local: LocalMode, cameras: list[str]) -> list[float]:
    watcher = AuditWatcher(local.client("s3"), local.resources.audit_bucket)
    samples = []
    for camera in cameras:
        alerts = scenario.stream_camera(local, camera, watcher=watcher, timeout=120)
        appeared = first_match_time(alerts, camera)
        webhooks = [
            r["time"]
            for r in captured(local.paths.sink)
            if r["channel"] == "webhook"
            and isinstance(r["body"], dict)
            and r["body"].get("camera") == camera
        ]
        if appeared is None or not webhooks:
            print(f"  {camera}: no alert (appeared={appeared}, webhooks={len(webhooks)})")
            continue
        samples.append(min(webhooks) - appeared)
        print(f"  {camera}: {samples[-1]:.2f} s")
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


def sustained_rate(
    local: LocalMode, rates: list[int], seconds: float, drain_limit: float
) -> list[tuple[int, float, bool]]:
    faces = local.engine.list_faces(CollectionId=local.resources.collection_id)["Faces"]
    face = {k: faces[0][k] for k in ("FaceId", "ExternalImageId", "ImageId", "Confidence")}
    kinesis = local.client("kinesis")
    results = []
    for rate in rates:
        camera = f"rate-{rate}"
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
        target = local.pipe.stats.records_read if local.pipe else 0
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=5)
    parser.add_argument("--rates", default="2,5,10,20,40")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--drain-limit", type=float, default=2.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    cameras = [f"bench-{i}" for i in range(args.cameras)]
    with tempfile.TemporaryDirectory() as root:
        local = LocalMode(
            Path(root),
            resources=LocalResources(cameras=dict.fromkeys(cameras, str(CLIP))),
            realtime=True,
        )
        with local:
            scenario.enrol(local, PHOTO, LIN)
            print(f"alert latency, clip played in real time on {len(cameras)} cameras:")
            samples = latency(local, cameras)
            if samples:
                print(
                    f"latency p50 {statistics.median(samples):.2f} s, "
                    f"p95 {percentile(samples, 95):.2f} s (n={len(samples)})"
                )
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
