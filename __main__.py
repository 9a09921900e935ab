"""facewatch: the whole cloud stack. Config is read and validated once, the components are
declared from `infra/`, the outputs a user needs are exported at the end."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra import commands
from infra.analysis import Analysis, AnalysisArgs
from infra.config import from_pulumi
from infra.lambda_function import package_dir
from infra.notifications import Notifications, NotificationsArgs
from infra.observability import Observability, ObservabilityArgs
from infra.storage import Storage, StorageArgs
from infra.tables import Tables, TablesArgs
from infra.workflow import ChannelInputs, Workflow, WorkflowArgs

config = from_pulumi()
secrets = pulumi.Config("facewatch")
region = config.region
prefix = f"facewatch-{config.stack}"
account_id = aws.get_caller_identity_output().account_id
partition = aws.get_partition_output().partition
lambda_package = package_dir()

storage = Storage(
    "storage",
    StorageArgs(
        prefix=prefix,
        account_id=account_id,
        region=region,
        partition=partition,
        audit_retention_days=config.audit_retention_days,
        audit_object_lock=config.audit_object_lock,
        force_destroy=config.force_destroy,
    ),
)
tables = Tables("tables", TablesArgs(key_arn=storage.key.arn))
analysis = Analysis(
    "analysis",
    AnalysisArgs(
        cameras=config.cameras,
        mode=config.analysis,
        face_match_threshold=config.face_match_threshold,
        collection_id=config.collection_id,
        key_arn=storage.key.arn,
        audit_bucket_arn=storage.audit_bucket.arn,
        account_id=account_id,
        partition=partition,
        region=region,
    ),
)
tokens = {
    channel: secrets.require_secret(f"{channel}Token")
    for channel, settings in (
        ("slack", config.slack),
        ("whatsapp", config.whatsapp),
        ("webhook", config.webhook if config.webhook and config.webhook.has_token else None),
    )
    if settings is not None
}
notifications = Notifications(
    "notifications",
    NotificationsArgs(
        key_arn=storage.key.arn,
        email=config.email,
        sns=config.sns,
        tokens=tokens,
        webhook=config.webhook,
    ),
)
workflow = Workflow(
    "workflow",
    WorkflowArgs(
        prefix=prefix,
        region=region,
        account_id=account_id,
        partition=partition,
        workflow_type=config.workflow_type,
        dedupe_window_seconds=config.dedupe_window_seconds,
        unknown_face_alerts=config.unknown_face_alerts,
        log_retention_days=config.log_retention_days,
        snapshot_link_seconds=config.snapshot_link_seconds,
        collection_id=analysis.collection.collection_id,
        key_arn=storage.key.arn,
        faces_bucket=storage.faces_bucket,
        audit_bucket=storage.audit_bucket,
        registry_table=tables.registry,
        dedupe_table=tables.dedupe,
        data_stream=analysis.data_stream,
        video_stream_arns=[stream.arn for stream in analysis.video_streams.values()],
        channels=ChannelInputs(
            email=config.email,
            slack=config.slack,
            whatsapp=config.whatsapp,
            webhook=config.webhook,
            sns_topic_arn=notifications.topic.arn if notifications.topic else None,
            connection_arns={c: conn.arn for c, conn in notifications.connections.items()},
        ),
        lambda_package=lambda_package,
    ),
)
Observability(
    "observability",
    ObservabilityArgs(
        key_arn=storage.key.arn,
        state_machine_arns={
            "match": workflow.match_state_machine.arn,
            "indexing": workflow.indexing_state_machine.arn,
        },
        dead_letter_queue_name=workflow.dead_letter_queue.name,
        pipe_name=workflow.pipe.name,
        faces_rule_name=workflow.faces_rule.name,
        alarm_email=config.alarm_email,
        alarm_topic_arn=config.alarm_topic_arn,
    ),
)

# ---- Outputs: never a secret; every command runs as printed. ----
names = pulumi.Output.all(
    collection=analysis.collection.collection_id,
    stream=analysis.data_stream.name,
    audit=storage.audit_bucket.bucket,
)
per_camera = names.apply(
    lambda v: commands.camera_outputs(
        config.cameras,
        config.analysis,
        commands.AgentStack(
            collection_id=v["collection"],
            data_stream=v["stream"],
            snapshot_bucket=v["audit"],
            region=region,
            threshold=config.face_match_threshold,
        ),
    )
)
pulumi.export("analysisMode", config.analysis)
pulumi.export("region", region)
pulumi.export("cameras", per_camera)
if len(config.cameras) == 1:
    # One camera: plain strings, so `$(pulumi stack output startProcessorCommand)` runs.
    only = config.cameras[0].name

    def single(key: str) -> pulumi.Output[str]:
        return per_camera.apply(lambda cams: cams[only][key])

    for key in ("startProcessorCommand", "stopProcessorCommand", "describeProcessorCommand"):
        pulumi.export(key, single(key))
    if config.analysis == "stream-processor":
        for key, command in commands.producer_commands(only, region).items():
            pulumi.export(key, command)
pulumi.export(
    "enrolCommand",
    pulumi.Output.all(storage.faces_bucket.bucket, tables.registry.name).apply(
        lambda v: commands.enrol_command(v[0], v[1], region)
    ),
)
pulumi.export("facesBucket", storage.faces_bucket.bucket)
pulumi.export("auditBucket", storage.audit_bucket.bucket)
pulumi.export("collectionId", analysis.collection.collection_id)
pulumi.export("dataStream", analysis.data_stream.name)
pulumi.export("registryTable", tables.registry.name)
pulumi.export("deadLetterQueueUrl", workflow.dead_letter_queue.url)
# ARNs for the facewatch CLI (`--stack current` reads them); the URLs below are for people.
pulumi.export("matchStateMachineArn", workflow.match_state_machine.arn)
pulumi.export("indexingStateMachineArn", workflow.indexing_state_machine.arn)
pulumi.export(
    "matchExecutionsUrl",
    workflow.match_state_machine.arn.apply(
        lambda arn: commands.state_machine_console_url(arn, region)
    ),
)
pulumi.export(
    "indexingExecutionsUrl",
    workflow.indexing_state_machine.arn.apply(
        lambda arn: commands.state_machine_console_url(arn, region)
    ),
)
if analysis.agent_role is not None and analysis.agent_policy is not None:
    pulumi.export("cameraAgentRoleArn", analysis.agent_role.arn)
    pulumi.export("cameraAgentPolicyArn", analysis.agent_policy.arn)
