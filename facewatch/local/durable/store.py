"""The on-disk copy of what moto holds: one SQLite file (`.facewatch/state.sqlite3`).

Each row of `entities` is the CURRENT state of one entity (an S3 object, a DynamoDB item, an SQS
message, a Step Functions execution), not a log of requests: writing the same state twice
changes nothing, so restoring is idempotent and the file does not grow with traffic. History
events are rows of their own (`history`), appended as an execution runs.

Why SQLite (the standard library's): each write is one atomic transaction, so a kill in the
middle of a write leaves the previous state, never a torn file, and many small writes need no
file per entity. WAL journal with `synchronous=NORMAL`: a committed transaction is in the
operating system's hands when `write` returns, so it survives the process being killed
(`kill -9`, a crash), without an fsync per request; a power loss may lose the last commits.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL,       -- s3 | dynamodb | sqs | execution
    scope TEXT NOT NULL,      -- account/region of the moto backend
    container TEXT NOT NULL,  -- bucket, table, queue or state machine ARN
    key TEXT NOT NULL,        -- object key, item key (JSON), message id, execution ARN
    meta TEXT NOT NULL,       -- JSON
    body BLOB,                -- an S3 object's bytes
    PRIMARY KEY (kind, scope, container, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    event TEXT NOT NULL,      -- JSON, as GetExecutionHistory returns it
    PRIMARY KEY (arn, id)
) WITHOUT ROWID;
"""
_UPSERT = "INSERT OR REPLACE INTO entities VALUES (?, ?, ?, ?, ?, ?)"
_DELETE = "DELETE FROM entities WHERE kind=? AND scope=? AND container=? AND key=?"


@dataclass(frozen=True)
class Row:
    kind: str
    scope: str
    container: str
    key: str
    meta: str
    body: bytes | None = None


@dataclass(frozen=True)
class Deletion:
    kind: str
    scope: str
    container: str
    key: str


Change = Row | Deletion


class StateStore:
    """Thread-safe: one connection, one lock; each call is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: transactions are opened explicitly (BEGIN IMMEDIATE).
        self._db: sqlite3.Connection | None = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError(f"the state store {self.path} is closed")
        return self._db

    def write(self, changes: Iterable[Change], events: Iterable[tuple[str, int, str]] = ()) -> int:
        """Apply the changes and append the history events (arn, id, JSON) in one committed
        transaction; returns how many changes."""
        changes, events = list(changes), list(events)
        if not changes and not events:
            return 0
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                for change in changes:
                    if isinstance(change, Row):
                        db.execute(
                            _UPSERT,
                            (
                                change.kind,
                                change.scope,
                                change.container,
                                change.key,
                                change.meta,
                                change.body,
                            ),
                        )
                    else:
                        db.execute(
                            _DELETE, (change.kind, change.scope, change.container, change.key)
                        )
                db.executemany("INSERT OR REPLACE INTO history VALUES (?, ?, ?)", events)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return len(changes)

    def rows(self, kind: str) -> Iterator[Row]:
        with self._lock:
            found = self._conn().execute(
                "SELECT kind, scope, container, key, meta, body FROM entities WHERE kind=? "
                "ORDER BY scope, container, key",
                (kind,),
            )
            rows = [Row(*values) for values in found.fetchall()]
        yield from rows

    def keys(self, kind: str, scope: str, container: str) -> set[str]:
        with self._lock:
            found = self._conn().execute(
                "SELECT key FROM entities WHERE kind=? AND scope=? AND container=?",
                (kind, scope, container),
            )
            return {key for (key,) in found.fetchall()}

    def events(self, arn: str) -> list[str]:
        with self._lock:
            found = self._conn().execute(
                "SELECT event FROM history WHERE arn=? ORDER BY id", (arn,)
            )
            return [event for (event,) in found.fetchall()]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
