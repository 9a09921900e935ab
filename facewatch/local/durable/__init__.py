"""The local mode's durable state: what moto holds in memory, written through to disk.

- store.py: the SQLite file (`.facewatch/state.sqlite3`), one row per entity's current state;
- hooks.py: wrappers around moto's methods that tell which entities a call changed;
- s3_objects.py, dynamodb_items.py, sqs_messages.py, executions.py: per kind, what to hook,
  how to read an entity out of moto and how to put it back;
- write_through.py: `DurableState`, which ties them together (WSGI middleware, restore).
"""

from .executions import ABORT_CAUSE, ABORT_ERROR
from .write_through import DurableState

__all__ = ["ABORT_CAUSE", "ABORT_ERROR", "DurableState"]
