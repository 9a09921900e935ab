"""Creating the stack's resources on the local endpoint (names and settings: resources.py)."""

from __future__ import annotations

import json
from typing import Any

from .resources import PLACEHOLDER_SECRET, LocalResources


def create_resources(
    resources: LocalResources, clients: dict[str, Any], endpoint_url: str
) -> dict[str, Any]:
    """Create every resource on the endpoint; returns the definitions it deployed.

    `clients` maps service names (s3, dynamodb, kinesis, sqs, sns, ses, events, iam,
    stepfunctions) to boto3 clients bound to the local endpoint.
    """
    s3, ddb = clients["s3"], clients["dynamodb"]
    for bucket in (resources.faces_bucket, resources.audit_bucket):
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if resources.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": resources.region}
        s3.create_bucket(**kwargs)
    # As in the stack: the faces bucket sends its events to EventBridge (the local
    # S3 adapter delivers them, see s3_events.py).
    s3.put_bucket_notification_configuration(
        Bucket=resources.faces_bucket,
        NotificationConfiguration={"EventBridgeConfiguration": {}},
    )
    for table in (resources.registry_table, resources.dedupe_table):
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    ddb.update_time_to_live(
        TableName=resources.dedupe_table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
    )
    clients["kinesis"].create_stream(StreamName=resources.data_stream, ShardCount=1)
    sqs = clients["sqs"]
    sqs.create_queue(QueueName=resources.dead_letter_queue)
    queue_url = sqs.create_queue(QueueName=resources.notifications_queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    topic_arn = clients["sns"].create_topic(Name=resources.topic_name)["TopicArn"]
    clients["sns"].subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    if "email" in resources.channels:
        clients["ses"].verify_email_identity(EmailAddress=resources.sender)
    for channel in ("slack", "whatsapp", "webhook"):
        if channel not in resources.channels:
            continue
        arn = clients["events"].create_connection(
            Name=f"{resources.prefix}-{channel}",
            AuthorizationType="API_KEY",
            AuthParameters={
                "ApiKeyAuthParameters": {
                    "ApiKeyName": "Authorization",
                    "ApiKeyValue": f"Bearer {PLACEHOLDER_SECRET}",
                }
            },
        )["ConnectionArn"]
        resources.connection_arns[channel] = arn
    return deploy_state_machines(resources, clients, endpoint_url)


def build_definitions(resources: LocalResources, endpoint_url: str) -> dict[str, dict[str, Any]]:
    """The two definitions, from the builders in `workflows/` (imported here so the
    rest of the local mode works while a builder is missing)."""
    from facewatch.workflows.indexing import build_indexing_definition
    from facewatch.workflows.match import build_match_definition

    return {
        resources.match_state_machine: build_match_definition(
            resources.match_settings(endpoint_url)
        ),
        resources.indexing_state_machine: build_indexing_definition(
            resources.indexing_settings(endpoint_url)
        ),
    }


def deploy_state_machines(
    resources: LocalResources, clients: dict[str, Any], endpoint_url: str
) -> dict[str, Any]:
    definitions = build_definitions(resources, endpoint_url)
    iam = clients["iam"]
    iam.create_role(
        RoleName=resources.role_arn.rsplit("/", 1)[1],
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    for name, definition in definitions.items():
        clients["stepfunctions"].create_state_machine(
            name=name,
            definition=json.dumps(definition),
            roleArn=resources.role_arn,
            type="STANDARD",
        )
    return definitions
