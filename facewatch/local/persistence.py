"""What the local mode keeps across `down`/`up` besides the photos (see server.py).

- `reset_collection`: on `up` the engine's collection is deleted and created empty, so the
  re-upload of the saved photos (`faces_store.py`) rebuilds collection and registry together
  through the indexing workflow: one face per photo, each known to the registry.
- `TableSnapshot`: moto keeps DynamoDB in memory, so the dedupe table's items are written to
  the state folder (on every change seen by a periodic scan, and at `down`) and put back on
  `up`; items already expired are left out (DynamoDB TTL would delete them too). A crash
  loses at most the last `interval` seconds of dedupe entries.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("facewatch.local.persistence")

TTL_ATTRIBUTE = "expiresAt"


def reset_collection(engine: Any, collection_id: str) -> None:
    """Delete (if present) and create the collection: it is rebuilt from the saved photos."""
    from facewatch.engine.errors import ResourceNotFoundException

    with contextlib.suppress(ResourceNotFoundException):
        engine.delete_collection(CollectionId=collection_id)
    engine.create_collection(CollectionId=collection_id)


class TableSnapshot:
    """Saves a DynamoDB table's items to a JSON file and puts them back."""

    def __init__(self, dynamodb: Any, table: str, path: Path, *, interval: float = 2.0) -> None:
        self.ddb = dynamodb
        self.table = table
        self.path = path
        self.interval = interval
        self._last: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.ddb.get_paginator("scan").paginate(TableName=self.table):
            items.extend(page.get("Items", []))
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))

    def save(self) -> bool:
        """Write the items when they changed since the last save; returns whether it wrote."""
        with self._lock:
            text = json.dumps(self.items(), sort_keys=True)
            if text == self._last:
                return False
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(self.path)
            self._last = text
            return True

    def restore(self, now: float | None = None) -> int:
        """Put the saved, unexpired items back; returns how many."""
        try:
            items = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return 0
        except ValueError:
            log.error("event=persistence.unreadable path=%s (ignored)", self.path)
            return 0
        moment = time.time() if now is None else now
        count = 0
        for item in items:
            expires = item.get(TTL_ATTRIBUTE, {}).get("N")
            if expires is not None and float(expires) <= moment:
                continue
            self.ddb.put_item(TableName=self.table, Item=item)
            count += 1
        return count

    def start(self) -> None:
        """Save periodically on a thread (so a crash loses little), until `stop`."""
        self._thread = threading.Thread(target=self._loop, name="facewatch-dedupe", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save()
            except Exception:
                log.exception("event=persistence.save_failed table=%s", self.table)

    def stop(self) -> None:
        """Stop the thread and save one last time (the clean `down`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.save()
