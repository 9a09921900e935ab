"""Collections persist on disk: one writer and several readers on the same root."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from facewatch.engine import FaceEngine
from facewatch.engine.collection_store import Collection, CollectionStore
from facewatch.engine.errors import ResourceNotFoundException

from .conftest import LIN, REPO


def test_faces_survive_a_new_engine(tmp_path: Path, lin_bytes: bytes) -> None:
    # Given a face indexed by one engine
    writer = FaceEngine(tmp_path)
    writer.create_collection(CollectionId="faces")
    indexed = writer.index_faces(
        CollectionId="faces", Image={"Bytes": lin_bytes}, ExternalImageId=LIN
    )

    # When a new engine opens the same root
    reader = FaceEngine(tmp_path)

    # Then it lists the face and finds it by image
    assert reader.list_faces(CollectionId="faces")["Faces"] == [indexed["FaceRecords"][0]["Face"]]
    result = reader.search_faces_by_image(CollectionId="faces", Image={"Bytes": lin_bytes})
    assert [m["Face"]["ExternalImageId"] for m in result["FaceMatches"]] == [LIN]


def test_reader_sees_faces_added_after_it_loaded(
    tmp_path: Path, lin_bytes: bytes, alex_bytes: bytes
) -> None:
    # Given a reader that already loaded the collection with one face
    writer = FaceEngine(tmp_path)
    writer.create_collection(CollectionId="faces")
    writer.index_faces(CollectionId="faces", Image={"Bytes": lin_bytes})
    reader = FaceEngine(tmp_path)
    assert reader.describe_collection(CollectionId="faces")["FaceCount"] == 1

    # When the writer adds a face
    writer.index_faces(CollectionId="faces", Image={"Bytes": alex_bytes})

    # Then the reader sees it
    assert reader.describe_collection(CollectionId="faces")["FaceCount"] == 2


def test_reader_sees_a_deleted_collection_gone(tmp_path: Path) -> None:
    writer = FaceEngine(tmp_path)
    writer.create_collection(CollectionId="faces")
    reader = FaceEngine(tmp_path)
    assert reader.list_collections()["CollectionIds"] == ["faces"]

    writer.delete_collection(CollectionId="faces")

    with pytest.raises(ResourceNotFoundException):
        reader.list_faces(CollectionId="faces")
    assert reader.list_collections()["CollectionIds"] == []


def test_reader_in_another_process_sees_the_faces(tmp_path: Path, lin_bytes: bytes) -> None:
    # Given a face indexed in this process
    writer = FaceEngine(tmp_path)
    writer.create_collection(CollectionId="faces")
    face_id = writer.index_faces(CollectionId="faces", Image={"Bytes": lin_bytes})["FaceRecords"][
        0
    ]["Face"]["FaceId"]

    # When another process lists the collection's faces
    script = (
        "import json, sys; from pathlib import Path; from facewatch.engine import FaceEngine; "
        "faces = FaceEngine(Path(sys.argv[1])).list_faces(CollectionId='faces')['Faces']; "
        "print(json.dumps([f['FaceId'] for f in faces]))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=60,
    )

    # Then it lists the same face
    assert json.loads(completed.stdout) == [face_id]


def _append_one(face_id: str) -> Callable[[Collection], tuple[list[dict], np.ndarray]]:
    def change(current: Collection) -> tuple[list[dict], np.ndarray]:
        row = np.full((1, 128), len(current.faces), dtype=np.float64)
        return [*current.faces, {"FaceId": face_id}], np.vstack([current.embeddings, row])

    return change


def test_concurrent_writers_lose_no_update_and_readers_see_whole_states(
    tmp_path: Path,
) -> None:
    # Given a collection, two writer stores and a reader store on the same root
    CollectionStore(tmp_path).create("faces", "arn", "v")
    writers = [CollectionStore(tmp_path), CollectionStore(tmp_path)]
    reader = CollectionStore(tmp_path)
    inconsistent: list[str] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            state = reader.load("faces")
            rows_match_faces = all(state.embeddings[i, 0] == i for i in range(len(state.faces)))
            if len(state.faces) != len(state.embeddings) or not rows_match_faces:
                inconsistent.append(f"{len(state.faces)} faces, {len(state.embeddings)} rows")

    def write(store: CollectionStore, prefix: str) -> None:
        for n in range(15):
            store.update("faces", _append_one(f"{prefix}-{n}"))

    # When both writers append 15 faces each while the reader keeps loading
    reading = threading.Thread(target=read_until_done)
    reading.start()
    writing = [
        threading.Thread(target=write, args=(s, p)) for s, p in zip(writers, "ab", strict=True)
    ]
    for thread in writing:
        thread.start()
    for thread in writing:
        thread.join()
    done.set()
    reading.join()

    # Then all 30 faces are stored, and no reader ever saw a half-written state
    final = CollectionStore(tmp_path).load("faces")
    assert sorted(f["FaceId"] for f in final.faces) == sorted(
        [f"a-{n}" for n in range(15)] + [f"b-{n}" for n in range(15)]
    )
    assert inconsistent == []


def test_writes_leave_one_embeddings_file_and_no_temporary_files(tmp_path: Path) -> None:
    store = CollectionStore(tmp_path)
    store.create("faces", "arn", "v")
    for n in range(3):
        store.update("faces", _append_one(f"f{n}"))

    assert len(list((tmp_path / "collections" / "faces").glob("embeddings-*.npy"))) == 1
    assert list((tmp_path / "tmp").iterdir()) == []
