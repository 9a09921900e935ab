"""A moto harness running the real match workflow definition (see match_fixtures.py).

The harness creates the stack's resources in moto as `infra/` would (registry and dedupe
tables, faces and audit buckets, dead-letter queue, SNS topic observed through an SQS
subscription, SES identity), installs the bridges from `facewatch.local.bridge`, and runs the
definition from `workflows.match.build_match_definition`. Records go in as the Pipe sends
them: through the stack's enrichment (handlers/decode.py, as `facewatch.local.pipe` runs it),
whose output must be a valid Step Functions execution input (at most 256 KB).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from executions import wait_for_end
from http_endpoint import HttpEndpoint
from match_records import ACCOUNT, REGION
from moto import mock_aws
from moto.s3.models import s3_backends
from moto.ses.models import ses_backends

# The Lambda handlers create their clients at import, as Lambda runs them: give them a region
# and fake credentials before the import (never a real account).
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from facewatch.handlers import snapshot
from facewatch.local.bridge import http_task, lambda_task
from facewatch.local.pipe import decode_enrichment, execution_input
from facewatch.workflows.match import build_match_definition
from facewatch.workflows.settings import (
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

PARTITION = "aws"
SENDER = "alerts@facewatch.example"
RECIPIENT = "guard@facewatch.example"
SNAPSHOT_FUNCTION = "facewatch-snapshot"


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
    def enrich(self, records: list[dict[str, Any]]) -> Any:
        """What the Pipe's enrichment returns for this batch (offloading to the audit bucket)."""
        return decode_enrichment(
            self.clients["s3"],
            audit_bucket=self.settings.audit_bucket,
            unknown_face_alerts=self.settings.unknown_face_alerts,
        )(records)

    def start(self, records: list[dict[str, Any]]) -> str:
        """Start an execution as the Pipe does for this batch of Kinesis records."""
        return self.start_input(self.enrich(records))

    def start_input(self, payload: Any) -> str:
        """Start an execution with this input (refused over Step Functions' limit)."""
        return self.clients["stepfunctions"].start_execution(
            stateMachineArn=self.state_machine_arn,
            name=f"exec-{uuid.uuid4().hex}",
            input=execution_input(payload),
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        return wait_for_end(self.clients["stepfunctions"], execution_arn, timeout)

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
        return [envelope["Message"] for envelope in self.sns_envelopes()]

    def sns_envelopes(self) -> list[dict[str, Any]]:
        """The SNS notifications (Subject, Message, ...) the topic delivered to its observer."""
        return self._drain(self.sns_queue_url)

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
            registry_table="facewatch-registry",
            dedupe_table="facewatch-dedupe",
            faces_bucket="facewatch-faces",
            audit_bucket="facewatch-audit",
            dead_letter_queue_url=dlq,
            snapshot_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{SNAPSHOT_FUNCTION}",
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
        functions = {SNAPSHOT_FUNCTION: snapshot.lambda_handler}
        with lambda_task.install(functions), http_task.install():
            harness = MatchHarness(settings=settings, clients=clients, sns_queue_url=observer)
            yield harness.deploy()
        ses_backends[ACCOUNT][REGION].sent_messages.clear()


def only(channels: Channels | None = None, **kwargs: Any) -> Callable[[MatchHarness], MatchHarness]:
    """Redeploy with only some channels (helper for tests)."""

    def apply(h: MatchHarness) -> MatchHarness:
        return h.deploy(channels=channels or Channels(), **kwargs)

    return apply
