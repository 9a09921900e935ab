"""SQS messages: which moto calls change a queue, its messages as rows, how to put them back.

Tracked per queue: a capture compares the queue's message ids with the saved ones (a message
never changes once sent, except for its receipt state). Kept: id, body, attributes, sender,
sent timestamp, receive count, FIFO group/deduplication/sequence. Not kept: the receipt state,
so a message in flight at a restart is visible again at once, as after its visibility timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from .hooks import Patch, Ref, backend_for, from_json, scope_of, to_json
from .store import Change, Deletion, Row, StateStore

log = logging.getLogger("facewatch.local.durable")

_MESSAGE_FIELDS = {
    "senderId": "sender_id",
    "sentTimestamp": "sent_timestamp",
    "approximateFirstReceiveTimestamp": "approximate_first_receive_timestamp",
    "approximateReceiveCount": "approximate_receive_count",
    "deduplicationId": "deduplication_id",
    "groupId": "group_id",
    "sequenceNumber": "sequence_number",
    "delayedUntil": "delayed_until",
    "messageAttributes": "message_attributes",
}


class SqsMessages:
    kind = "sqs"

    def __init__(self) -> None:
        from moto.sqs.models import sqs_backends

        self.backends = sqs_backends

    def patches(self) -> list[Patch]:
        from moto.sqs.models import Queue, SQSBackend

        def queue(args: dict[str, Any], _result: Any) -> Iterable[Ref]:
            q = args["self"]
            yield self.kind, scope_of(q.account_id, q.region), q.name, None

        def named(args: dict[str, Any], _result: Any) -> Iterable[Ref]:
            backend = args["self"]
            scope = scope_of(backend.account_id, backend.region_name)
            yield self.kind, scope, args["queue_name"], None

        # Queue.add_message: SendMessage(Batch), SNS deliveries and moves to a redrive DLQ;
        # receive_message: a move to the redrive DLQ removes the message from its queue.
        return [
            Patch(Queue, "add_message", queue),
            Patch(Queue, "delete_message", queue),
            Patch(SQSBackend, "purge_queue", named),
            Patch(SQSBackend, "receive_message", named),
        ]

    def capture(self, ref: Ref, store: StateStore) -> list[Change]:
        kind, scope, name, _ = ref
        queue = backend_for(self.backends, scope).queues.get(name)
        current = {m.id: m for m in list(queue._messages)} if queue is not None else {}
        saved = store.keys(kind, scope, name)
        changes: list[Change] = [
            Deletion(kind, scope, name, message_id) for message_id in saved - current.keys()
        ]
        for message_id in current.keys() - saved:
            message = current[message_id]
            meta = {field: getattr(message, attr) for field, attr in _MESSAGE_FIELDS.items()}
            meta.update(body=message.body, systemAttributes=message.system_attributes)
            changes.append(Row(kind, scope, name, message_id, to_json(meta)))
        return changes

    def restore_queue(self, rows: list[Row]) -> int:
        """Put one queue's saved messages back, in the order they were sent."""
        from moto.sqs.models import Message

        first = rows[0]
        queue = backend_for(self.backends, first.scope).queues.get(first.container)
        if queue is None:
            log.warning("event=durable.skipped kind=sqs queue=%s (no such queue)", first.container)
            return 0
        metas = sorted(((from_json(row.meta), row.key) for row in rows), key=_sent_order)
        for meta, message_id in metas:
            message = Message(message_id, meta["body"], meta["systemAttributes"])
            for field, attr in _MESSAGE_FIELDS.items():
                setattr(message, attr, meta[field])
            queue._messages.append(message)
        return len(metas)


def _sent_order(item: tuple[dict[str, Any], str]) -> tuple[int, str]:
    meta, message_id = item
    return int(meta["sentTimestamp"] or 0), message_id
