"""Builders and a moto harness for the match workflow tests (imported by test_match_*.py).

Kept out of conftest.py, which the indexing-workflow tests share. The harness creates the
stack's resources in moto as `infra/` would (registry and dedupe tables, faces and audit
buckets, dead-letter queue, SNS topic observed through an SQS subscription, SES identity),
installs the bridges from `facewatch.local.bridge`, and runs the real definition from
`workflows.match.build_match_definition`.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.s3.models import s3_backends
from moto.ses.models import ses_backends

# The Lambda handlers create their clients at import, as Lambda runs them: give them a region
# and fake credentials before the import (never a real account).
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from facewatch.local.bridge import http_task, lambda_task
from handlers import decode, snapshot
from workflows.match import build_match_definition
from workflows.settings import (
    AwsEnvironment,
    Channels,
    EmailChannel,
    MatchWorkflowSettings,
    SlackChannel,
    SnsChannel,
    WebhookChannel,
    WhatsAppChannel,
)

# moto logs every evaluation error with the whole parse tree: keep failures readable.
logging.getLogger("moto.stepfunctions.parser").setLevel(
    logging.CRITICAL if not os.environ.get("MOTO_SFN_LOGS") else logging.ERROR
)

REGION = "us-east-1"
PARTITION = "aws"
ACCOUNT = "123456789012"
EVENTS = Path(__file__).parent.parent / "events"
SENDER = "alerts@facewatch.example"
RECIPIENT = "guard@facewatch.example"
SNAPSHOT_FUNCTION = "facewatch-snapshot"
DECODE_FUNCTION = "facewatch-decode"
_sequence = itertools.count(1)


# ---------------------------------------------------------------- record builders


def matched_face(external_image_id: str, similarity: float = 99.1) -> dict[str, Any]:
    return {
        "Similarity": similarity,
        "Face": {
            "FaceId": str(uuid.uuid4()),
            "ExternalImageId": external_image_id,
            "ImageId": str(uuid.uuid4()),
            "BoundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.5, "Height": 0.6},
            "Confidence": 99.9,
        },
    }


def detected_face(*matches: dict[str, Any]) -> dict[str, Any]:
    return {
        "DetectedFace": {
            "BoundingBox": {"Left": 0.25, "Top": 0.2, "Width": 0.3, "Height": 0.4},
            "Confidence": 99.5,
            "Landmarks": [],
            "Pose": {"Pitch": 0.0, "Roll": 0.0, "Yaw": 0.0},
            "Quality": {"Brightness": 70.0, "Sharpness": 80.0},
        },
        "MatchedFaces": list(matches),
    }


def face_document(
    camera: str, *faces: dict[str, Any], producer_ts: float = 1_700_000_000.0
) -> dict[str, Any]:
    """A stream processor record (the shape of tests/events/stream_processor_record.json)."""
    document = copy.deepcopy(json.loads((EVENTS / "stream_processor_record.json").read_text()))
    video = document["InputInformation"]["KinesisVideo"]
    video["StreamArn"] = f"arn:aws:kinesisvideo:{REGION}:{ACCOUNT}:stream/{camera}/1700000000000"
    video["ProducerTimestamp"] = producer_ts
    document["FaceSearchResponse"] = list(faces)
    return document


def kinesis_record(
    document: Any, arrival: float = 1_700_000_000.25, *, raw_data: str | None = None
) -> dict[str, Any]:
    """A record as EventBridge Pipes delivers it from Kinesis (base64 `data`)."""
    data = (
        raw_data
        if raw_data is not None
        else base64.b64encode(json.dumps(document).encode()).decode()
    )
    sequence = next(_sequence)
    return {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "camera",
        "sequenceNumber": f"4959033827149025660855969253836157109592157598913658{sequence:04d}",
        "data": data,
        "approximateArrivalTimestamp": arrival,
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000000:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/pipe",
        "awsRegion": REGION,
        "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/facewatch-faces",
    }


def sighting(
    camera: str, external_image_id: str, arrival: float = 1_700_000_000.25, similarity: float = 99.1
) -> dict[str, Any]:
    """One record, one detected face, matched to one photo."""
    return kinesis_record(
        face_document(camera, detected_face(matched_face(external_image_id, similarity))), arrival
    )


# ---------------------------------------------------------------- local HTTP endpoint


@dataclass
class HttpEndpoint:
    """A local HTTP server recording requests and answering with scripted responses."""

    server: ThreadingHTTPServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, *responses: tuple[int, dict[str, Any]]) -> None:
        """Responses for `path`, in order; the last one repeats."""
        self.responses[path] = list(responses)

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


def _handler_for(endpoint_ref: list[HttpEndpoint]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            endpoint = endpoint_ref[0]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            endpoint.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(body or b"null"),
                }
            )
            scripted = endpoint.responses.get(self.path, [(200, {"ok": True})])
            status, payload = scripted.pop(0) if len(scripted) > 1 else scripted[0]
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def http_endpoint() -> Iterator[HttpEndpoint]:
    ref: list[HttpEndpoint] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(ref))
    ref.append(HttpEndpoint(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ref[0]
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- the harness


@dataclass
class MatchHarness:
    settings: MatchWorkflowSettings
    clients: dict[str, Any]
    sns_queue_url: str
    state_machine_arn: str = ""

    # -- setup -------------------------------------------------------------
    def deploy(self, **overrides: Any) -> MatchHarness:
        """(Re)create the state machine from the builder with changed settings."""
        self.settings = replace(self.settings, **overrides)
        definition = build_match_definition(self.settings)
        name = f"match-{uuid.uuid4().hex[:8]}"
        self.state_machine_arn = self.clients["stepfunctions"].create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
        )["stateMachineArn"]
        return self

    def enrol(
        self,
        key: str,
        name: str | None,
        external_image_id: str,
        *,
        tags: dict[str, str] | None = None,
        mapping: bool = True,
        upload: bool = True,
        stored_name: bool = True,
    ) -> None:
        """A faces-bucket photo as the indexing workflow leaves it (team.md §2 items).

        The face item carries PersonName/PersonNameSource resolved from the tags as the
        indexing workflow does (key tag, else ``name`` tag); ``stored_name=False`` gives a
        legacy item (indexed before names were stored): ObjectKey only.
        """
        tag_set = dict(tags or {})
        if name is not None:
            tag_set[key] = name
        face_item: dict[str, Any] = {
            "pk": {"S": f"face#{external_image_id}"},
            "ObjectKey": {"S": key},
        }
        resolved = (
            (tag_set[key], "object-key-tag")
            if key in tag_set
            else (tag_set["name"], "name-tag")
            if "name" in tag_set
            else None
        )
        if stored_name and resolved is not None:
            face_item["PersonName"] = {"S": resolved[0]}
            face_item["PersonNameSource"] = {"S": resolved[1]}
        if upload:
            self.clients["s3"].put_object(Bucket=self.settings.faces_bucket, Key=key, Body=b"jpeg")
            if tag_set:
                # Straight into moto's backend: moto's tag-value check is ASCII-only, while S3
                # accepts Unicode letters in tag values (names like "Zoë Ørsted").
                backend = s3_backends[ACCOUNT][PARTITION]
                fake_key = backend.get_object(self.settings.faces_bucket, key)
                backend.tagger.tag_resource(
                    fake_key.arn, [{"Key": k, "Value": v} for k, v in tag_set.items()]
                )
        if mapping:
            table = self.clients["dynamodb"]
            table.put_item(
                TableName=self.settings.registry_table,
                Item=face_item,
            )
            table.put_item(
                TableName=self.settings.registry_table,
                Item={
                    "pk": {"S": f"key#{key}"},
                    "ExternalImageId": {"S": external_image_id},
                    "FaceIds": {"L": [{"S": str(uuid.uuid4())}]},
                    "Status": {"S": "indexed"},
                },
            )

    # -- running -----------------------------------------------------------
    def start(self, records: list[dict[str, Any]]) -> str:
        return self.clients["stepfunctions"].start_execution(
            stateMachineArn=self.state_machine_arn,
            name=f"exec-{uuid.uuid4().hex}",
            input=json.dumps(records),
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described = self.clients["stepfunctions"].describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            if time.monotonic() > deadline:
                raise AssertionError(f"{execution_arn} still RUNNING after {timeout}s")
            time.sleep(0.05)

    def run(self, records: list[dict[str, Any]], timeout: float = 60.0) -> dict[str, Any]:
        return self.wait(self.start(records), timeout)

    def explain(self, described: dict[str, Any]) -> str:
        """Why an execution ended as it did (for assertion messages)."""
        failures = [
            f"{event['type']}: {json.dumps(details)[:600]}"
            for event in self.history(described["executionArn"])
            for key, details in event.items()
            if key.endswith("FailedEventDetails")
        ]
        return (
            f"{described['status']} {described.get('error')}: {described.get('cause')}\n"
            + "\n".join(failures)
        )

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.clients["stepfunctions"]
        return sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]

    def scheduled_parameters(self, execution_arn: str, resource: str) -> list[dict[str, Any]]:
        """The parameters of every task of `resource` type (e.g. 'sendEmail') the execution ran."""
        return [
            json.loads(event["taskScheduledEventDetails"]["parameters"])
            for event in self.history(execution_arn)
            if event["type"] == "TaskScheduled"
            and event["taskScheduledEventDetails"]["resource"] == resource
        ]

    # -- observations ------------------------------------------------------
    def _drain(self, queue_url: str) -> list[dict[str, Any]]:
        sqs, messages = self.clients["sqs"], []
        while True:
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def dead_letters(self) -> list[dict[str, Any]]:
        return self._drain(self.settings.dead_letter_queue_url)

    def sns_messages(self) -> list[str]:
        return [envelope["Message"] for envelope in self._drain(self.sns_queue_url)]

    def emails(self) -> list[Any]:
        return list(ses_backends[ACCOUNT][REGION].sent_messages)

    def audit_objects(self) -> dict[str, dict[str, Any]]:
        s3 = self.clients["s3"]
        listing = s3.list_objects_v2(Bucket=self.settings.audit_bucket, Prefix="audit/")
        return {
            item["Key"]: json.loads(
                s3.get_object(Bucket=self.settings.audit_bucket, Key=item["Key"])["Body"].read()
            )
            for item in listing.get("Contents", [])
        }

    def dedupe_items(self) -> list[dict[str, Any]]:
        return self.clients["dynamodb"].scan(TableName=self.settings.dedupe_table)["Items"]


def _connection(events: Any, name: str, token: str) -> str:
    return events.create_connection(
        Name=name,
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {
                "ApiKeyName": "Authorization",
                "ApiKeyValue": f"Bearer {token}",
            }
        },
    )["ConnectionArn"]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def harness(
    aws_env: None, http_endpoint: HttpEndpoint, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MatchHarness]:
    """All channels configured (SES, SNS, Slack, WhatsApp, webhook -> the local server)."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = {
            name: boto3.client(name, region_name=REGION)
            for name in ("stepfunctions", "dynamodb", "s3", "sqs", "sns", "sesv2", "events")
        }
        for table in ("facewatch-registry", "facewatch-dedupe"):
            clients["dynamodb"].create_table(
                TableName=table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            )
        for bucket in ("facewatch-faces", "facewatch-audit"):
            clients["s3"].create_bucket(Bucket=bucket)
        dlq = clients["sqs"].create_queue(QueueName="facewatch-dlq")["QueueUrl"]
        observer = clients["sqs"].create_queue(QueueName="sns-observer")["QueueUrl"]
        topic = clients["sns"].create_topic(Name="facewatch-alerts")["TopicArn"]
        clients["sns"].subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:sns-observer"
        )
        clients["sesv2"].create_email_identity(EmailIdentity=SENDER)
        base = http_endpoint.base_url
        settings = MatchWorkflowSettings(
            env=AwsEnvironment(region=REGION, account_id=ACCOUNT),
            analysis_mode="stream-processor",
            registry_table="facewatch-registry",
            dedupe_table="facewatch-dedupe",
            faces_bucket="facewatch-faces",
            audit_bucket="facewatch-audit",
            dead_letter_queue_url=dlq,
            snapshot_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{SNAPSHOT_FUNCTION}",
            decode_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{DECODE_FUNCTION}",
            channels=Channels(
                email=EmailChannel(sender=SENDER, recipients=(RECIPIENT,)),
                sns=SnsChannel(topic_arn=topic),
                slack=SlackChannel(
                    connection_arn=_connection(clients["events"], "slack", "xoxb-test"),
                    channel="C0FACE",
                    url=f"{base}/slack",
                ),
                whatsapp=WhatsAppChannel(
                    connection_arn=_connection(clients["events"], "whatsapp", "wa-token"),
                    phone_number_id="1234",
                    recipient="15550001111",
                    base_url=f"{base}/wa",
                ),
                webhook=WebhookChannel(
                    connection_arn=_connection(clients["events"], "webhook", "hook"),
                    url=f"{base}/hook",
                ),
            ),
            channel_retry_interval_seconds=1,
            channel_retry_max_attempts=1,
        )
        monkeypatch.setattr(
            snapshot,
            "SETTINGS",
            snapshot.Settings(audit_bucket="facewatch-audit", url_expiry_seconds=600),
        )
        monkeypatch.setattr(snapshot, "s3", clients["s3"])
        functions = {
            SNAPSHOT_FUNCTION: snapshot.lambda_handler,
            DECODE_FUNCTION: decode.lambda_handler,
        }
        with lambda_task.install(functions), http_task.install():
            harness = MatchHarness(settings=settings, clients=clients, sns_queue_url=observer)
            yield harness.deploy()
        ses_backends[ACCOUNT][REGION].sent_messages.clear()


def only(channels: Channels | None = None, **kwargs: Any) -> Callable[[MatchHarness], MatchHarness]:
    """Redeploy with only some channels (helper for tests)."""

    def apply(h: MatchHarness) -> MatchHarness:
        return h.deploy(channels=channels or Channels(), **kwargs)

    return apply
