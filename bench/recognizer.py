"""Recognizer benchmark on the shared data (../shared/data, or $FACEWATCH_SHARED_DATA).

identification(): enrol every photo of faces/train/<person>/ in a local face engine
(ExternalImageId = person), then identify every face of every photo in faces/test/: each
detected face is cropped (with context), searched with SearchFacesByImage at the default
threshold (80) and counted correct, wrong or unknown against the people the file name
names. Lin-Manuel Miranda is not enrolled: his reference photos must come back unknown.
Targets: every test photo identified correctly, no stranger accepted.

throughput(): frames per second over the whole clip (video/short_hamilton_clip.mp4), in one
run: (a) a naive face_recognition-style baseline that detects (dlib HOG) and computes a
128-d descriptor for every face of EVERY frame, and (b) the camera agent's pipeline
(decode every frame, analyse 5 fps, detect, track, search each track at most once a
second through the in-process engine, Lin-Manuel Miranda enrolled). Both use the same
detector settings. Recall: every whole second of the clip in which the baseline matches
Lin-Manuel Miranda (threshold 80) must also carry his match in the agent's records; lost
seconds are printed. Target: at least 4x the baseline's frames per second, no lost second.

Usage: .venv/bin/python bench/recognizer.py [--data PATH]  (default: $FACEWATCH_SHARED_DATA,
else ../shared/data next to the repo; the tests read the same variable, tests/shared_data.py)
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from facewatch.engine import FaceEngine  # noqa: E402
from facewatch.engine.detection import FaceBox  # noqa: E402
from facewatch.engine.faces import find_faces  # noqa: E402
from facewatch.engine.images import decode_image  # noqa: E402

SHARED_DATA_ENV = "FACEWATCH_SHARED_DATA"
DEFAULT_DATA = Path(os.environ.get(SHARED_DATA_ENV) or REPO.parent / "shared" / "data")
COLLECTION = "bench"
THRESHOLD = 80.0
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
# Context kept around a face in its crop: the engine detects the face again in the crop.
CROP_MARGIN = 0.35
# Names in test file names that are not the person's folder name.
ALIASES = {"johnsnow": "kit_harington", "kit": "kit_harington", "rose": "rose_leslie"}
STRANGER_PHOTOS = ("faces/reference/lin-manuel-miranda.png",)


def expected_people(stem: str, people: set[str]) -> set[str]:
    """People a test file name names: alex_lacamoire1, johnsnow_test1, kit_with_rose..."""
    expected = set()
    for part in re.split(r"_(?:and|with)_", stem):
        name = re.sub(r"(_test)?\d*$", "", part)
        name = ALIASES.get(name, name)
        if name not in people:
            raise SystemExit(f"cannot tell who {stem!r} shows: {name!r} is not enrolled")
        expected.add(name)
    return expected


def photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)


def crop_jpeg(rgb: np.ndarray, face: FaceBox) -> bytes:
    height, width = rgb.shape[:2]
    margin_x, margin_y = int(face.width * CROP_MARGIN), int(face.height * CROP_MARGIN)
    crop = rgb[
        max(0, face.top - margin_y) : min(height, face.bottom + margin_y),
        max(0, face.left - margin_x) : min(width, face.right + margin_x),
    ]
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(crop)).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def identify_faces(
    engine: FaceEngine, path: Path, *, mirrored: bool = False
) -> list[tuple[str | None, float]]:
    """(person or None, similarity) for every face detected in the photo."""
    rgb = decode_image(path.read_bytes())
    if mirrored:
        rgb = np.ascontiguousarray(rgb[:, ::-1])
    found = []
    for face in find_faces(rgb):
        response = engine.search_faces_by_image(
            CollectionId=COLLECTION,
            Image={"Bytes": crop_jpeg(rgb, face)},
            FaceMatchThreshold=THRESHOLD,
            MaxFaces=1,
        )
        matches = response["FaceMatches"]
        if matches:
            found.append((matches[0]["Face"]["ExternalImageId"], matches[0]["Similarity"]))
        else:
            found.append((None, 0.0))
    return found


@dataclass
class IdentificationResult:
    correct: int = 0
    wrong: int = 0
    unknown: int = 0
    photos_correct: int = 0
    photos: int = 0
    strangers_accepted: int = 0
    strangers: int = 0
    lines: list[str] = field(default_factory=list)

    @property
    def target_met(self) -> bool:
        return self.photos_correct == self.photos and self.strangers_accepted == 0


def identification(data: Path = DEFAULT_DATA) -> IdentificationResult:
    """Enrol faces/train, identify faces/test and the strangers; print and return counts."""
    train, test = data / "faces" / "train", data / "faces" / "test"
    for folder in (train, test):
        if not folder.is_dir():
            raise SystemExit(
                f"shared sample data not found at {folder}: pass --data PATH or set "
                f"{SHARED_DATA_ENV} to the folder holding faces/ and video/"
            )
    result = IdentificationResult()
    with tempfile.TemporaryDirectory(prefix="facewatch-bench-") as root:
        engine = FaceEngine(Path(root))
        engine.create_collection(CollectionId=COLLECTION)
        started = time.perf_counter()
        people = {folder.name for folder in train.iterdir() if folder.is_dir()}
        enrolled = 0
        for person in sorted(people):
            for photo in photos(train / person):
                response = engine.index_faces(
                    CollectionId=COLLECTION,
                    Image={"Bytes": photo.read_bytes()},
                    ExternalImageId=person,
                    MaxFaces=1,
                )
                enrolled += len(response["FaceRecords"])
        print(f"enrolled {enrolled} faces of {len(people)} people "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip

        started = time.perf_counter()
        for photo in photos(test):
            _score_photo(engine, photo, expected_people(photo.stem, people), result)
        for relative in STRANGER_PHOTOS:
            stranger = data / relative
            if stranger.is_file():
                # The only reference photo, and its mirror image as a second view.
                _score_stranger(engine, stranger, result, mirrored=False)
                _score_stranger(engine, stranger, result, mirrored=True)
            else:
                result.lines.append(f"  (stranger photo {stranger} absent)")
        elapsed = time.perf_counter() - started

    print("\n".join(result.lines))
    faces = result.correct + result.wrong + result.unknown
    print(
        f"identification: {result.correct} correct, {result.wrong} wrong, "
        f"{result.unknown} unknown of {faces} faces in {result.photos} test photos "
        f"({elapsed:.1f} s); photos identified correctly: "
        f"{result.photos_correct}/{result.photos}; strangers accepted: "
        f"{result.strangers_accepted}/{result.strangers}"
    )
    print(f"identification target {'met' if result.target_met else 'MISSED'}")
    return result


def _score_photo(
    engine: FaceEngine, photo: Path, expected: set[str], result: IdentificationResult
) -> None:
    credited: set[str] = set()
    faces = []
    wrong_here = 0
    for person, similarity in identify_faces(engine, photo):
        if person is None:
            result.unknown += 1
            faces.append("unknown")
        elif person in expected and person not in credited:
            credited.add(person)
            result.correct += 1
            faces.append(f"{person} ({similarity:.1f})")
        else:
            wrong_here += 1
            result.wrong += 1
            faces.append(f"WRONG {person} ({similarity:.1f})")
    ok = credited == expected and wrong_here == 0
    result.photos += 1
    result.photos_correct += ok
    verdict = "ok" if ok else f"MISSED (expected {', '.join(sorted(expected))})"
    result.lines.append(f"  {photo.name}: {', '.join(faces) or 'no face found'} -> {verdict}")


def _score_stranger(
    engine: FaceEngine, photo: Path, result: IdentificationResult, *, mirrored: bool
) -> None:
    found = identify_faces(engine, photo, mirrored=mirrored)
    identified = [person for person, _ in found if person is not None]
    result.strangers += 1
    result.strangers_accepted += bool(identified) or not found
    if not found:
        outcome = "NO FACE FOUND"
    elif identified:
        outcome = f"ACCEPTED as {', '.join(identified)}"
    else:
        outcome = "unknown -> ok"
    view = " (mirrored)" if mirrored else ""
    result.lines.append(f"  stranger {photo.name}{view}: {outcome}")


# ---------------------------------------------------------------------------------------
# Throughput (camera agent): naive every-frame baseline vs the agent pipeline.
# ---------------------------------------------------------------------------------------

LIN = "lin-manuel-miranda"
SAMPLE_CLIP = REPO / "sample_data" / "video" / "short_hamilton_clip.mp4"
SAMPLE_FACES = REPO / "sample_data" / "faces"
THROUGHPUT_FPS = 5.0
THROUGHPUT_THRESHOLD = 80.0


def _clip_path(data: Path) -> Path:
    for path in (data / "video" / "short_hamilton_clip.mp4", SAMPLE_CLIP):
        if path.is_file():
            return path
    raise SystemExit(f"clip not found under {data / 'video'} nor {SAMPLE_CLIP}")


def _reference_photo(data: Path) -> Path:
    for path in (data / "faces" / "reference" / f"{LIN}.png", SAMPLE_FACES / f"{LIN}.png"):
        if path.is_file():
            return path
    raise SystemExit(f"no reference photo of {LIN} found")


def _naive_baseline(
    clip: Path, reference: np.ndarray, upsample: int
) -> tuple[int, float, set[int]]:
    """face_recognition-style: on EVERY frame, HOG detection + a 128-d descriptor per face.

    Returns (frames, seconds, whole seconds of the clip in which Lin-Manuel Miranda matched).
    """
    import cv2

    from facewatch.engine.detection import detect_faces
    from facewatch.engine.embedding import face_descriptor, similarity_from_distance

    capture = cv2.VideoCapture(str(clip))
    frames, seen = 0, set[int]()
    started = time.perf_counter()
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames += 1
        position = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        for box in detect_faces(rgb, upsample=upsample):
            distance = float(np.linalg.norm(face_descriptor(rgb, box) - reference))
            if similarity_from_distance(distance) >= THROUGHPUT_THRESHOLD:
                seen.add(int(position))
    elapsed = time.perf_counter() - started
    capture.release()
    return frames, elapsed, seen


def _agent_pipeline(
    clip: Path, engine_root: Path, photo: Path, upsample: int
) -> tuple[int, float, set[int], int]:
    """The camera agent: decode every frame, sample at 5 fps, detect, track, search
    (in-process engine, Lin-Manuel Miranda enrolled). Returns (frames, seconds, seen, calls)."""
    from facewatch.agent import AgentConfig, ListSink, run
    from facewatch.agent.source import VideoSource

    engine = FaceEngine(engine_root)
    engine.create_collection(CollectionId="bench")
    engine.index_faces(
        CollectionId="bench", Image={"Bytes": photo.read_bytes()}, ExternalImageId=LIN, MaxFaces=1
    )

    class Counting:
        calls = 0

        def search_faces_by_image(self, **kwargs: object) -> dict[str, object]:
            Counting.calls += 1
            response: dict[str, object] = engine.search_faces_by_image(**kwargs)
            return response

    config = AgentConfig(
        camera="bench",
        source=str(clip),
        collection_id="bench",
        stream_arn="arn:aws:kinesisvideo:us-east-1:123456789012:stream/bench/edge",
        fps=THROUGHPUT_FPS,
        threshold=THROUGHPUT_THRESHOLD,
        upsample=upsample,
    )
    # Producer time = 0 + position in the clip, so each record tells its second of video.
    source = VideoSource(str(clip), fps=config.fps, wall_clock=lambda: 0.0)
    sink = ListSink()
    started = time.perf_counter()
    run(config, Counting(), sink, frames=source.frames())
    elapsed = time.perf_counter() - started
    seen = {
        int(record["InputInformation"]["KinesisVideo"]["ProducerTimestamp"])
        for record in sink.records
        for face in record["FaceSearchResponse"]
        for match in face["MatchedFaces"]
        if match["Face"].get("ExternalImageId") == LIN
    }
    return source.stats.frames_read, elapsed, seen, Counting.calls


def throughput(data: Path = DEFAULT_DATA, upsample: int = 0) -> dict[str, object]:
    """Frames per second over the whole clip, agent vs naive baseline, and recall per second."""
    import cv2

    from facewatch.engine.detection import detect_faces
    from facewatch.engine.embedding import face_descriptor

    clip, photo = _clip_path(data), _reference_photo(data)
    # Reference descriptor for the baseline (this also loads the dlib models, so neither
    # side pays the model loading inside its timed section).
    bgr = cv2.imread(str(photo))
    if bgr is None:
        raise SystemExit(f"cannot read the reference photo {photo}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    largest = max(detect_faces(rgb, upsample=1), key=lambda box: box.area)
    reference = face_descriptor(rgb, largest)

    base_frames, base_seconds, base_seen = _naive_baseline(clip, reference, upsample)
    with tempfile.TemporaryDirectory() as root:
        agent_frames, agent_seconds, agent_seen, calls = _agent_pipeline(
            clip, Path(root), photo, upsample
        )
    base_fps = base_frames / base_seconds
    agent_fps = agent_frames / agent_seconds
    lost = sorted(base_seen - agent_seen)
    print(f"## Throughput over the whole clip ({clip.name}, detector upsample={upsample})")
    print(
        f"naive baseline (detect + descriptor on every frame): {base_frames} frames "
        f"in {base_seconds:.2f} s = {base_fps:.1f} fps"
    )
    print(
        f"agent pipeline (decode all, analyse {THROUGHPUT_FPS:g} fps, track, search): "
        f"{agent_frames} frames in {agent_seconds:.2f} s = {agent_fps:.1f} fps "
        f"({calls} SearchFacesByImage calls)"
    )
    print(f"ratio: {agent_fps / base_fps:.2f}x (target >= 4x)")
    print(f"seconds with {LIN} matched: baseline {sorted(base_seen)}, agent {sorted(agent_seen)}")
    print(f"lost seconds (baseline matched, agent did not): {lost or 'none'}")
    return {
        "baseline_fps": base_fps,
        "agent_fps": agent_fps,
        "ratio": agent_fps / base_fps,
        "search_calls": calls,
        "lost_seconds": lost,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    args = parser.parse_args(argv)
    result = identification(args.data)
    print()
    figures = throughput(args.data)
    ratio = figures["ratio"]
    throughput_met = isinstance(ratio, float) and ratio >= 4.0 and not figures["lost_seconds"]
    print(f"throughput target {'met' if throughput_met else 'MISSED'}")
    return 0 if result.target_met and throughput_met else 1


if __name__ == "__main__":
    sys.exit(main())
