"""On-disk face collections: safe for one writer and several readers.

Layout under the engine's root directory::

    .lock                               writers take an exclusive fcntl lock on it
    collections/<CollectionId>/
        collection.json                 metadata and the Face records, in index order
        embeddings-<generation>.npy     N x 128 float64 descriptors, row i = Faces[i]
    tmp/                                files being written, renamed into place

Every write goes to a temporary file that is fsynced and renamed over its target
(``os.replace`` is atomic on POSIX), so a reader sees either the old or the new state,
never a half-written one. The descriptors go to a new ``embeddings-<generation>.npy``
named by ``collection.json``, which is replaced last; a reader that loses the race with a
writer deleting the old generation simply reads ``collection.json`` again. Writers
serialise on the lock file and reread the collection under the lock, so even several
writers do not lose updates. Readers cache a loaded collection and reload it when
``collection.json``'s inode, mtime or size changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from facewatch.engine.errors import ResourceAlreadyExistsException, ResourceNotFoundException

DESCRIPTOR_SIZE = 128
_METADATA = "collection.json"
_READ_ATTEMPTS = 5


@dataclass(frozen=True)
class Collection:
    """An immutable snapshot of one collection."""

    collection_id: str
    arn: str
    face_model_version: str
    created: datetime
    faces: list[dict[str, Any]] = field(default_factory=list)
    embeddings: np.ndarray = field(
        default_factory=lambda: np.empty((0, DESCRIPTOR_SIZE), dtype=np.float64)
    )


def _not_found(collection_id: str) -> ResourceNotFoundException:
    # Rekognition's own wording.
    return ResourceNotFoundException(f"The collection id: {collection_id} does not exist")


class CollectionStore:
    """Reads and writes the collections under ``root`` (created when missing)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._collections_dir = self.root / "collections"
        self._tmp_dir = self.root / "tmp"
        self._collections_dir.mkdir(parents=True, exist_ok=True)
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, tuple[tuple[int, int, int], Collection]] = {}
        self._cache_lock = threading.Lock()

    # -- reading -------------------------------------------------------------------

    def list_ids(self) -> list[str]:
        """Collection ids, sorted."""
        return sorted(
            entry.name for entry in self._collections_dir.iterdir() if (entry / _METADATA).is_file()
        )

    def load(self, collection_id: str) -> Collection:
        """The current state of a collection (cached until its files change)."""
        metadata_path = self._collections_dir / collection_id / _METADATA
        for _ in range(_READ_ATTEMPTS):
            try:
                stat = metadata_path.stat()
            except FileNotFoundError:
                raise _not_found(collection_id) from None
            signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            with self._cache_lock:
                cached = self._cache.get(collection_id)
            if cached is not None and cached[0] == signature:
                return cached[1]
            try:
                collection = self._read(metadata_path)
            except FileNotFoundError:
                continue  # a writer replaced the files meanwhile: read the new ones
            with self._cache_lock:
                self._cache[collection_id] = (signature, collection)
            return collection
        raise _not_found(collection_id)

    def _read(self, metadata_path: Path) -> Collection:
        with metadata_path.open(encoding="utf-8") as stream:
            metadata = json.load(stream)
        embeddings = np.load(metadata_path.parent / metadata["EmbeddingsFile"])
        embeddings.setflags(write=False)
        return Collection(
            collection_id=metadata["CollectionId"],
            arn=metadata["CollectionArn"],
            face_model_version=metadata["FaceModelVersion"],
            created=datetime.fromtimestamp(metadata["CreationTimestamp"], tz=UTC),
            faces=metadata["Faces"],
            embeddings=embeddings,
        )

    # -- writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        # flock locks belong to the open file description, so this excludes other
        # processes and other threads of this process (each opens its own descriptor).
        with (self.root / ".lock").open("a") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def create(self, collection_id: str, arn: str, face_model_version: str) -> Collection:
        """Create an empty collection; ResourceAlreadyExistsException if it exists."""
        with self._writer_lock():
            target = self._collections_dir / collection_id
            if target.exists():
                raise ResourceAlreadyExistsException(
                    f"The collection id: {collection_id} already exists"
                )
            staging = self._tmp_dir / f"new-{uuid.uuid4().hex}"
            staging.mkdir()
            collection = Collection(
                collection_id=collection_id,
                arn=arn,
                face_model_version=face_model_version,
                created=datetime.now(tz=UTC),
            )
            self._write(staging, collection)
            os.rename(staging, target)
            return collection

    def delete(self, collection_id: str) -> None:
        """Delete a collection; ResourceNotFoundException if it does not exist."""
        with self._writer_lock():
            target = self._collections_dir / collection_id
            if not (target / _METADATA).is_file():
                raise _not_found(collection_id)
            # Renaming first makes the deletion atomic for readers.
            trash = self._tmp_dir / f"deleted-{uuid.uuid4().hex}"
            os.rename(target, trash)
            shutil.rmtree(trash, ignore_errors=True)
        with self._cache_lock:
            self._cache.pop(collection_id, None)

    def update(
        self,
        collection_id: str,
        change: Callable[[Collection], tuple[list[dict[str, Any]], np.ndarray]],
    ) -> Collection:
        """Apply ``change`` (current -> new faces and embeddings) under the writer lock."""
        with self._writer_lock():
            current = self.load(collection_id)
            faces, embeddings = change(current)
            if len(faces) != len(embeddings):
                raise ValueError("faces and embeddings must have the same length")
            updated = Collection(
                collection_id=current.collection_id,
                arn=current.arn,
                face_model_version=current.face_model_version,
                created=current.created,
                faces=faces,
                embeddings=np.asarray(embeddings, dtype=np.float64).reshape(-1, DESCRIPTOR_SIZE),
            )
            self._write(self._collections_dir / collection_id, updated)
            return updated

    def _write(self, directory: Path, collection: Collection) -> None:
        embeddings_name = f"embeddings-{uuid.uuid4().hex}.npy"
        self._atomic_write(
            directory / embeddings_name,
            lambda stream: np.save(stream, collection.embeddings, allow_pickle=False),
        )
        metadata = {
            "CollectionId": collection.collection_id,
            "CollectionArn": collection.arn,
            "FaceModelVersion": collection.face_model_version,
            "CreationTimestamp": collection.created.timestamp(),
            "EmbeddingsFile": embeddings_name,
            "Faces": collection.faces,
        }
        payload = json.dumps(metadata, indent=1).encode("utf-8")
        self._atomic_write(directory / _METADATA, lambda stream: stream.write(payload))
        for stale in directory.glob("embeddings-*.npy"):
            if stale.name != embeddings_name:
                stale.unlink(missing_ok=True)

    def _atomic_write(self, target: Path, write: Callable[[Any], object]) -> None:
        temporary = self._tmp_dir / f"{uuid.uuid4().hex}.part"
        try:
            with temporary.open("wb") as stream:
                write(stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
