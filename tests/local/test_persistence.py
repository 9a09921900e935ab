"""The dedupe table's items survive `down`/`up` through the state folder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from facewatch.local.persistence import TableSnapshot

TABLE = "dedupe"


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        yield client


def create(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def item(pk: str, expires: float) -> dict[str, Any]:
    return {"pk": {"S": pk}, "expiresAt": {"N": str(int(expires))}, "person": {"S": "Lin"}}


def test_saved_items_come_back_into_a_new_table_except_expired_ones(
    ddb: Any, tmp_path: Path
) -> None:
    # Given a live and an expired dedupe entry, saved
    create(ddb)
    now = time.time()
    ddb.put_item(TableName=TABLE, Item=item("lin#stage", now + 300))
    ddb.put_item(TableName=TABLE, Item=item("old#stage", now - 1))
    TableSnapshot(ddb, TABLE, tmp_path / "dedupe.json").save()
    # When the table is recreated empty (moto after a restart) and restored
    ddb.delete_table(TableName=TABLE)
    create(ddb)
    restored = TableSnapshot(ddb, TABLE, tmp_path / "dedupe.json").restore(now=now)
    # Then the live entry is back, whole; the expired one is not
    assert restored == 1
    items = ddb.scan(TableName=TABLE)["Items"]
    assert items == [item("lin#stage", now + 300)]


def test_save_rewrites_the_file_only_when_the_items_changed(ddb: Any, tmp_path: Path) -> None:
    create(ddb)
    snapshot = TableSnapshot(ddb, TABLE, tmp_path / "dedupe.json")
    ddb.put_item(TableName=TABLE, Item=item("a", time.time() + 60))
    assert snapshot.save() is True
    assert snapshot.save() is False
    ddb.put_item(TableName=TABLE, Item=item("b", time.time() + 60))
    assert snapshot.save() is True


def test_restore_without_a_saved_file_puts_nothing(ddb: Any, tmp_path: Path) -> None:
    create(ddb)
    assert TableSnapshot(ddb, TABLE, tmp_path / "missing.json").restore() == 0
    assert ddb.scan(TableName=TABLE)["Items"] == []
