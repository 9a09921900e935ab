"""A state folder from an earlier version: its `dedupe.json` is imported once on `up`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from facewatch.local.persistence import import_legacy_dedupe

TABLE = "dedupe"


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def item(pk: str, expires: float) -> dict[str, Any]:
    return {"pk": {"S": pk}, "expiresAt": {"N": str(int(expires))}, "person": {"S": "Lin"}}


def test_the_unexpired_items_of_an_old_dedupe_file_are_imported_once(
    ddb: Any, tmp_path: Path
) -> None:
    # Given an earlier version's dedupe.json with a live and an expired entry
    now = time.time()
    legacy = tmp_path / "dedupe.json"
    legacy.write_text(json.dumps([item("lin#stage", now + 300), item("old#stage", now - 1)]))
    # When it is imported
    imported = import_legacy_dedupe(ddb, TABLE, legacy, now=now)
    # Then the live entry is in the table, whole, and the file is set aside (not imported again)
    assert imported == 1
    assert ddb.scan(TableName=TABLE)["Items"] == [item("lin#stage", now + 300)]
    assert not legacy.exists() and (tmp_path / "dedupe.json.imported").exists()
    assert import_legacy_dedupe(ddb, TABLE, legacy, now=now) is None


def test_an_unreadable_old_dedupe_file_is_left_alone(ddb: Any, tmp_path: Path) -> None:
    legacy = tmp_path / "dedupe.json"
    legacy.write_text("{not json")
    assert import_legacy_dedupe(ddb, TABLE, legacy) is None
    assert legacy.exists() and ddb.scan(TableName=TABLE)["Items"] == []
