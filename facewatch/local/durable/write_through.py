"""`DurableState`: moto's S3 objects, DynamoDB items, SQS messages and executions, on disk.

Writing. Hooks on the moto methods that change those entities (hooks.py and one adapter per
kind) mark what changed. The WSGI `middleware`, outermost in front of moto, copies the marked
entities' current state from moto's memory into the store (store.py) after moto handled the
request and BEFORE the response leaves: a change acknowledged to a client is on disk, so a
`kill -9` right after loses nothing acknowledged (a write that fails answers 500 instead).
Changes made outside any request (the interpreter's history events and final status) are
written at once. Only current state is stored, so restoring is idempotent.

Restoring (`restore`, on `up`, once the stack's buckets, tables, queues and state machines
exist) puts rows straight into moto's models, never through the API: it sends no S3
notification, starts no execution and delivers no notification.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from .dynamodb_items import DynamoItems
from .executions import Executions
from .hooks import Include, Patch, Ref, install_patches
from .s3_objects import S3Objects
from .sqs_messages import SqsMessages
from .store import Change, Row, StateStore

log = logging.getLogger("facewatch.local.durable")


class Adapter(Protocol):
    kind: str

    def patches(self) -> list[Patch]: ...

    def capture(self, ref: Ref, store: StateStore) -> list[Change]: ...


def everything(kind: str, container: str) -> bool:
    return True


def _guarded(row: Row, restore: Callable[[Row], int]) -> int:
    """Restore one row; one that cannot be (unreadable, or a moto version whose models
    changed) is logged and does not keep the local mode from starting. Its row stays in the
    store (an SQS message's until its queue next changes: a capture syncs the whole queue)."""
    try:
        return restore(row)
    except Exception:
        log.exception(
            "event=durable.restore_failed kind=%s container=%s key=%s (kept in the store)",
            row.kind,
            row.container,
            row.key,
        )
        return 0


class DurableState:
    """Write-through copy of moto's S3 objects, DynamoDB items, SQS messages and executions."""

    def __init__(self, path: Path, include: Include = everything) -> None:
        self.store = StateStore(path)
        self.include = include
        self.s3 = S3Objects()
        self.dynamodb = DynamoItems()
        self.sqs = SqsMessages()
        self.executions = Executions()
        adapters: list[Adapter] = [self.s3, self.dynamodb, self.sqs, self.executions]
        self._adapters = {adapter.kind: adapter for adapter in adapters}
        self._local = threading.local()
        # One flush at a time: a capture compares moto with the store (SQS) and must not
        # interleave with another flush's write.
        self._flush_lock = threading.Lock()
        self._uninstall: list[Callable[[], None]] = []
        self.active = False

    # -- start ------------------------------------------------------------------------
    def restore(self) -> dict[str, int]:
        """Put the saved entities back into moto (whose containers must exist), then start
        tracking changes. Returns how many of each kind were restored."""
        counts = dict.fromkeys(self._adapters, 0)
        for row in self._kept(self.s3.kind):
            counts[row.kind] += _guarded(row, lambda r: int(self.s3.restore(r, self.store)))
        for row in self._kept(self.dynamodb.kind):
            counts[row.kind] += _guarded(row, lambda r: int(self.dynamodb.restore(r, self.store)))
        queues: dict[tuple[str, str], list[Row]] = {}
        for row in self._kept(self.sqs.kind):
            queues.setdefault((row.scope, row.container), []).append(row)
        for rows in queues.values():
            counts[self.sqs.kind] += _guarded(rows[0], partial(self._restore_queue, rows))
        counts[self.executions.kind] = self.executions.restore(self.store, _guarded)
        self._install()
        return counts

    def _restore_queue(self, rows: list[Row], _first: Row) -> int:
        return self.sqs.restore_queue(rows)

    def _kept(self, kind: str) -> Iterable[Row]:
        return (row for row in self.store.rows(kind) if self.include(row.kind, row.container))

    def _install(self) -> None:
        patches = [patch for adapter in self._adapters.values() for patch in adapter.patches()]
        self._uninstall.append(install_patches(patches, self.mark))
        self._uninstall.append(self.executions.install_history_hooks(self.store, self.mark))
        self.active = True

    # -- tracking ---------------------------------------------------------------------
    def mark(self, ref: Ref) -> None:
        """Called by the hooks after moto changed `ref`: written at the end of the current
        request, or at once outside a request."""
        if not self.active or not self.include(ref[0], ref[2]):
            return
        pending: set[Ref] | None = getattr(self._local, "pending", None)
        if pending is not None:
            pending.add(ref)
            return
        try:
            self.flush([ref])
        except Exception:  # outside a request there is nobody to answer with an error
            log.exception("event=durable.write_failed ref=%s", ref)

    def flush(self, refs: Iterable[Ref]) -> int:
        with self._flush_lock:
            if not self.active:
                return 0
            changes: list[Change] = []
            for ref in refs:
                changes.extend(self._adapters[ref[0]].capture(ref, self.store))
            return self.store.write(changes)

    def middleware(self, app: Any) -> Any:
        """WSGI: run the request, then write what it changed before answering (moto builds
        its responses whole, so nothing has been sent yet). A failed write raises: werkzeug
        answers 500, the change is not acknowledged."""

        def durable_app(environ: dict[str, Any], start_response: Any) -> Any:
            self._local.pending = set()
            try:
                return app(environ, start_response)
            finally:
                pending, self._local.pending = self._local.pending, None
                if pending:
                    self.flush(pending)

        return durable_app

    # -- stop -------------------------------------------------------------------------
    def close(self) -> None:
        """Stop tracking and close the store (idempotent); writes nothing more."""
        with self._flush_lock:
            self.active = False
        while self._uninstall:
            self._uninstall.pop()()
        self.store.close()
