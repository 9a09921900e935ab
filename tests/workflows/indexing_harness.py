"""Runs the indexing workflow in moto with the fake Rekognition backend (test helper)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from asl_checks import ENV, indexing_settings
from executions import wait_for_end
from fake_rekognition import FakeRekognition, photo
from moto import mock_aws

from facewatch.handlers import object_key
from facewatch.local.bridge import lambda_task
from facewatch.local.bridge import rekognition as rekognition_bridge
from facewatch.workflows.indexing import build_indexing_definition
from facewatch.workflows.settings import IndexingWorkflowSettings

REGION = ENV.region  # the shared settings fixture's environment
ACCOUNT = ENV.account_id
EXECUTION_TIMEOUT_SECONDS = 60.0


@dataclass
class IndexingEnv:
    settings: IndexingWorkflowSettings
    rekognition: FakeRekognition
    state_machine_arn: str
    queue_url: str

    def __post_init__(self) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)

    # -- given ---------------------------------------------------------------------------
    def upload(self, key: str, body: bytes, tags: dict[str, str] | None = None) -> None:
        self.s3.put_object(Bucket=self.settings.faces_bucket, Key=key, Body=body)
        if tags:
            self.s3.put_object_tagging(
                Bucket=self.settings.faces_bucket,
                Key=key,
                Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]},
            )

    def upload_photo(self, key: str, faces: int, tags: dict[str, str] | None = None) -> None:
        self.upload(key, photo(faces), tags)

    # -- when ----------------------------------------------------------------------------
    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        """Start one execution (always named: moto needs it) and wait for its end."""
        started = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=f"test-{uuid.uuid4()}",
            input=json.dumps(event),
        )
        return wait_for_end(self.sfn, started["executionArn"], EXECUTION_TIMEOUT_SECONDS)

    def created(self, key: str) -> dict[str, Any]:
        return self.run(s3_event("Object Created", self.settings.faces_bucket, key))

    def deleted(self, key: str) -> dict[str, Any]:
        self.s3.delete_object(Bucket=self.settings.faces_bucket, Key=key)
        return self.run(s3_event("Object Deleted", self.settings.faces_bucket, key))

    # -- then ----------------------------------------------------------------------------
    def registry_item(self, pk: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.settings.registry_table, Key={"pk": {"S": pk}}, ConsistentRead=True
        ).get("Item")
        return dict(item) if item else None

    def tags(self, key: str) -> dict[str, str]:
        tag_set = self.s3.get_object_tagging(Bucket=self.settings.faces_bucket, Key=key)["TagSet"]
        return {t["Key"]: t["Value"] for t in tag_set}

    def audit_records(self) -> list[dict[str, Any]]:
        listed = self.s3.list_objects_v2(Bucket=self.settings.audit_bucket, Prefix="audit/")
        return [
            json.loads(
                self.s3.get_object(Bucket=self.settings.audit_bucket, Key=o["Key"])["Body"].read()
            )
            for o in listed.get("Contents", [])
        ]

    def audit_keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.settings.audit_bucket, Prefix="audit/")
        return [o["Key"] for o in listed.get("Contents", [])]

    def dead_letters(self) -> list[dict[str, Any]]:
        received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in received.get("Messages", [])]

    def state_names(self, execution_arn: str) -> list[str]:
        events = self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in events["events"]
            if "stateEnteredEventDetails" in e
        ]


def s3_event(detail_type: str, bucket: str, key: str) -> dict[str, Any]:
    """An S3 -> EventBridge event as AWS documents it (the key is not URL-encoded)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": "2025-01-01T00:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT,
            "reason": "PutObject" if detail_type == "Object Created" else "DeleteObject",
        },
    }


@contextmanager
def indexing_env() -> Iterator[IndexingEnv]:
    settings = indexing_settings()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):  # type: ignore[arg-type]
        fake = FakeRekognition(region=REGION)
        function = settings.object_key_function_arn.rsplit(":", 1)[1]
        with (
            rekognition_bridge.install(fake),
            lambda_task.install({function: object_key.lambda_handler}),
        ):
            s3 = boto3.client("s3", region_name=REGION)
            for bucket in (settings.faces_bucket, settings.audit_bucket):
                s3.create_bucket(Bucket=bucket)
            boto3.client("dynamodb", region_name=REGION).create_table(
                TableName=settings.registry_table,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            queue_url = boto3.client("sqs", region_name=REGION).create_queue(
                QueueName="facewatch-dlq"
            )["QueueUrl"]
            boto3.client("rekognition", region_name=REGION).create_collection(
                CollectionId=settings.collection_id
            )
            arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
                name="facewatch-indexing",
                definition=json.dumps(build_indexing_definition(settings)),
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/facewatch-indexing",
            )["stateMachineArn"]
            yield IndexingEnv(settings, fake, arn, queue_url)
