"""What the local mode does with its state on `up`, besides the durable state (durable/).

- `reset_collection`: on `up` the engine's collection is deleted and created empty, so the
  re-upload of the saved photos (`faces_store.py`) rebuilds collection and registry together
  through the indexing workflow: one face per photo, each known to the registry.
- `import_legacy_dedupe`: a state folder written by an earlier version holds the dedupe table
  in `dedupe.json` (a periodic snapshot); its unexpired items are put into the table once (so
  written through to the durable state) and the file is renamed `dedupe.json.imported`.
"""

from __future__ import annotations

import contextlib
import json
import logging
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


def import_legacy_dedupe(
    dynamodb: Any, table: str, path: Path, now: float | None = None
) -> int | None:
    """Put the unexpired items of an earlier version's `dedupe.json` into `table`, then rename
    the file; returns how many, or None when there is no such file."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        log.error("event=persistence.legacy_unreadable path=%s (ignored, kept)", path)
        return None
    moment = time.time() if now is None else now
    count = 0
    for item in items:
        expires = item.get(TTL_ATTRIBUTE, {}).get("N")
        if expires is not None and float(expires) <= moment:
            continue  # DynamoDB TTL would have deleted it
        dynamodb.put_item(TableName=table, Item=item)
        count += 1
    path.replace(path.with_name(path.name + ".imported"))
    return count
