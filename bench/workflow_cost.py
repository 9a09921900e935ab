"""State transitions and cost of the match workflow, measured by running it in moto.

Runs the real definition (workflows.match.build_match_definition, SNS as the one channel,
the snapshot Lambda in-process) for three cases and counts, in each execution's history,
the events AWS bills as state transitions (every ``*StateEntered``, retries included):

- a first-sighting match (one record, one face, notified),
- a suppressed duplicate (the same person and camera inside the dedupe window),
- the same two for a legacy registry item without PersonName (the name read from the tags),
- a record without matches (unknown face, alerts off),
- a batch of 5 records of one person on one camera (a person in view writes ~5 records a
  second; the Pipe batches them), first sighting and all suppressed: the decode Lambda, the
  Pipe's enrichment, coalesces them into one handled match (handlers/decode.py) before the
  execution starts, so its invocation is no state transition (its cost is a Lambda line in
  bench/camera_hour_cost.py).

Prices (us-east-1, list prices; check https://aws.amazon.com/step-functions/pricing/):
Standard $0.025 per 1,000 state transitions. Express $1.00 per million requests plus
$0.00001667 per GB-second, billed in 100 ms steps at the 64 MB minimum; the Express duration
is an ASSUMPTION (below), not a measurement: moto's timing says nothing about AWS latency.
Lambda, DynamoDB, S3, SNS and SQS charges are the same in both and are not included.

    python bench/workflow_cost.py
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "workflows")]  # record builders live with the tests

import boto3  # noqa: E402
from match_fixtures import detected_face, face_document, kinesis_record, sighting  # noqa: E402
from moto import mock_aws  # noqa: E402

from facewatch.handlers import decode, snapshot  # noqa: E402
from facewatch.local.bridge import lambda_task  # noqa: E402
from facewatch.workflows.match import build_match_definition  # noqa: E402
from facewatch.workflows.records import OFFLOAD_PREFIX  # noqa: E402
from facewatch.workflows.settings import AwsEnvironment, Channels, MatchWorkflowSettings, SnsChannel  # noqa: E402

logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)

STANDARD_PER_TRANSITION = 0.025 / 1000
EXPRESS_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_PER_GB_SECOND = 0.00001667
EXPRESS_MEMORY_GB = 64 / 1024
# Assumed Express durations (seconds): a notified match waits on the snapshot Lambda
# (KVS GetImages) and the slowest channel; the others are a few DynamoDB/S3 calls.
EXPRESS_SECONDS = {
    "first sighting": 2.0,
    "suppressed duplicate": 0.4,
    "legacy-item first": 2.0,
    "legacy-item duplicate": 0.5,
    "record without matches": 0.3,
    "batch of 5 records, first sighting": 2.0,
    "batch of 5 records, same person in view (all suppressed)": 0.4,
}
BATCH = 5
REGION, ACCOUNT = "us-east-1", "123456789012"


def _setup() -> tuple[dict[str, Any], str]:
    clients = {
        n: boto3.client(n, region_name=REGION)
        for n in ("stepfunctions", "dynamodb", "s3", "sqs", "sns")
    }
    for table in ("registry", "dedupe"):
        clients["dynamodb"].create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
    for bucket in ("faces", "audit"):
        clients["s3"].create_bucket(Bucket=bucket)
    for key, name in (("people/lin.png", "Lin-Manuel Miranda"), ("people/alex.png", "Alex")):
        clients["s3"].put_object(Bucket="faces", Key=key, Body=b"x")
        clients["s3"].put_object_tagging(
            Bucket="faces", Key=key, Tagging={"TagSet": [{"Key": key, "Value": name}]}
        )
    # Lin as the indexing workflow registers a named photo (PersonName stored: fast path);
    # Alex as a photo indexed before names were stored (ObjectKey only: tags read per match).
    clients["dynamodb"].put_item(
        TableName="registry",
        Item={
            "pk": {"S": "face#people_lin.png"},
            "ObjectKey": {"S": "people/lin.png"},
            "PersonName": {"S": "Lin-Manuel Miranda"},
            "PersonNameSource": {"S": "object-key-tag"},
        },
    )
    clients["dynamodb"].put_item(
        TableName="registry",
        Item={"pk": {"S": "face#people_alex.png"}, "ObjectKey": {"S": "people/alex.png"}},
    )
    settings = MatchWorkflowSettings(
        env=AwsEnvironment(REGION, ACCOUNT),
        registry_table="registry",
        dedupe_table="dedupe",
        faces_bucket="faces",
        audit_bucket="audit",
        dead_letter_queue_url=clients["sqs"].create_queue(QueueName="dlq")["QueueUrl"],
        snapshot_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:snapshot",
        channels=Channels(sns=SnsChannel(clients["sns"].create_topic(Name="alerts")["TopicArn"])),
    )
    arn = clients["stepfunctions"].create_state_machine(
        name="match",
        definition=json.dumps(build_match_definition(settings)),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
    )["stateMachineArn"]
    return clients, arn


def _transitions(clients: dict[str, Any], arn: str, records: list[dict[str, Any]]) -> int:
    sfn = clients["stepfunctions"]
    # The Pipe's enrichment (handlers/decode.py) decodes the batch before the execution.
    settings = decode.Settings(False, audit_bucket="audit", offload_prefix=OFFLOAD_PREFIX)
    enriched = decode.enrich(records, settings, decode.s3_writer(clients["s3"]))
    execution = sfn.start_execution(
        stateMachineArn=arn, name=uuid.uuid4().hex, input=json.dumps(enriched)
    )
    deadline = time.monotonic() + 60
    while sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise RuntimeError("execution did not finish")
        time.sleep(0.05)
    events = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)[
        "events"
    ]
    return sum(1 for event in events if event["type"].endswith("StateEntered"))


def _in_view(camera: str, start: float) -> list[dict[str, Any]]:
    """BATCH records of Lin on `camera`, 0.2 s apart (5 analysed frames a second)."""
    return [sighting(camera, "people_lin.png", start + 0.2 * i) for i in range(BATCH)]


def measure() -> dict[str, int]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients, arn = _setup()
        with lambda_task.install({"snapshot": snapshot.lambda_handler}):
            return {
                "first sighting": _transitions(
                    clients, arn, [sighting("front-door", "people_lin.png", 1_700_000_000.0)]
                ),
                "suppressed duplicate": _transitions(
                    clients, arn, [sighting("front-door", "people_lin.png", 1_700_000_060.0)]
                ),
                "legacy-item first": _transitions(
                    clients, arn, [sighting("front-door", "people_alex.png", 1_700_000_000.0)]
                ),
                "legacy-item duplicate": _transitions(
                    clients, arn, [sighting("front-door", "people_alex.png", 1_700_000_060.0)]
                ),
                "record without matches": _transitions(
                    clients, arn, [kinesis_record(face_document("front-door", detected_face()))]
                ),
                # A camera Lin was not seen on yet: the batch's first record is notified.
                "batch of 5 records, first sighting": _transitions(
                    clients, arn, _in_view("back-door", 1_700_000_000.0)
                ),
                # Inside the window of the first sighting above: every record a duplicate.
                "batch of 5 records, same person in view (all suppressed)": _transitions(
                    clients, arn, _in_view("front-door", 1_700_000_090.0)
                ),
            }


def express_cost(case: str) -> float:
    """Dollars for one Express execution of `case`, at its assumed duration."""
    gb_seconds = EXPRESS_MEMORY_GB * max(0.1, round(EXPRESS_SECONDS[case], 1))
    return EXPRESS_PER_REQUEST + gb_seconds * EXPRESS_PER_GB_SECOND


def main() -> None:
    counts = measure()
    print(
        "Match workflow, one execution per row, one record unless the case says a batch "
        "(SNS channel only; each extra channel adds 1-3)"
    )
    width = max(len(case) for case in counts) + 2
    print(f"{'case':<{width}}{'transitions':>12}{'Standard $/1k':>16}{'Express $/1k':>15}")
    for case, transitions in counts.items():
        standard = transitions * STANDARD_PER_TRANSITION * 1000
        express = express_cost(case) * 1000
        print(f"{case:<{width}}{transitions:>12}{standard:>16.4f}{express:>15.4f}")
    print("Express durations assumed:", ", ".join(f"{k} {v}s" for k, v in EXPRESS_SECONDS.items()))
    print(
        "Batching amortises the 5 batch-level transitions, and the sightings of one person on "
        "one camera within a batch are coalesced into one handled match."
    )


if __name__ == "__main__":
    main()
