"""DynamoDB items: which moto calls change them, their state as a row, and how to put it back.

Items of any key schema; the row's key is the item's key attributes as JSON. On restore an item
whose TTL attribute has passed (the table's TTL enabled) is dropped, from moto and the store:
DynamoDB would have deleted it by then, moto never expires items.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from .hooks import Patch, Ref, backend_for, from_json, scope_of, to_json
from .store import Change, Deletion, Row, StateStore

log = logging.getLogger("facewatch.local.durable")


def _key(hash_key: Any, range_key: Any) -> str:
    return json.dumps(
        [hash_key.to_json(), range_key.to_json() if range_key is not None else None],
        sort_keys=True,
    )


class DynamoItems:
    kind = "dynamodb"

    def __init__(self) -> None:
        from moto.dynamodb.models import dynamodb_backends

        self.backends = dynamodb_backends

    def patches(self) -> list[Patch]:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table

        def put(args: dict[str, Any], item: Any) -> Iterable[Ref]:
            table = args["self"]
            scope = scope_of(table.account_id, table.region_name)
            yield self.kind, scope, table.name, _key(item.hash_key, item.range_key)

        def deleted(args: dict[str, Any], _result: Any) -> Iterable[Ref]:
            table = args["self"]
            scope = scope_of(table.account_id, table.region_name)
            yield self.kind, scope, table.name, _key(args["hash_key"], args["range_key"])

        def updated(args: dict[str, Any], item: Any) -> Iterable[Ref]:
            # UpdateItem changes an existing item in place, without Table.put_item.
            backend = args["self"]
            table = backend.get_table(args["table_name"])
            scope = scope_of(backend.account_id, backend.region_name)
            yield self.kind, scope, table.name, _key(item.hash_key, item.range_key)

        # PutItem, BatchWriteItem and TransactWriteItems store through Table.put_item and
        # Table.delete_item (a failed transaction puts the tables back: the request's end,
        # when the items are read, sees that).
        return [
            Patch(Table, "put_item", put),
            Patch(Table, "delete_item", deleted),
            Patch(DynamoDBBackend, "update_item", updated),
        ]

    def capture(self, ref: Ref, store: StateStore) -> list[Change]:
        from moto.dynamodb.models.dynamo_type import DynamoType

        kind, scope, table_name, key = ref
        assert key is not None
        table = backend_for(self.backends, scope).tables.get(table_name)
        hash_key, range_key = json.loads(key)
        item = None
        if table is not None:
            item = table.get_item(
                DynamoType(hash_key), DynamoType(range_key) if range_key is not None else None
            )
        if item is None:
            return [Deletion(kind, scope, table_name, key)]
        return [Row(kind, scope, table_name, key, to_json(item.to_json()["Attributes"]))]

    def restore(self, row: Row, store: StateStore, now: float | None = None) -> bool:
        table = backend_for(self.backends, row.scope).tables.get(row.container)
        if table is None:
            log.warning(
                "event=durable.skipped kind=dynamodb table=%s (no such table)", row.container
            )
            return False
        attrs = from_json(row.meta)
        if table.ttl.get("TimeToLiveStatus") == "ENABLED":
            expires = attrs.get(table.ttl.get("AttributeName"), {}).get("N")
            if expires is not None and float(expires) <= (time.time() if now is None else now):
                store.write([Deletion(row.kind, row.scope, row.container, row.key)])
                return False
        table.put_item(attrs, overwrite=True)
        return True
