"""Observability: CloudWatch alarms on what means a lost or failed alert.

- ExecutionsFailed of each state machine (a workflow ended in a failure state);
- the DLQ holding any message (a channel, a record or an event could not be handled);
- the Pipe failing executions or its target stage (records not reaching the workflow);
- the faces rule sending an event to the dead-letter queue (it could not start the indexing
  workflow), or failing to put such an event there (the one way an S3 event could otherwise
  be lost without a trace).

Actions go to an alarm topic when configured: one created for `alarmEmail` (encrypted with
the stack key, which lets CloudWatch publish) and/or an existing `alarmTopicArn`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

FIVE_MINUTES = 300
# The faces rule's alarms (name suffix, AWS/Events metric, description). EventBridge counts an
# event that could not start the indexing workflow and went to the dead-letter queue in
# DeadLetterInvocations, and EventBridge does not count in FailedInvocations what it counts
# there (an alarm on FailedInvocations would not fire for these events); one it could not put
# in the DLQ either (a queue or key policy refusing it) counts in
# InvocationsFailedToBeSentToDlq and is otherwise lost unseen.
FACES_RULE_ALARMS = (
    (
        "dead-letter-invocations",
        "DeadLetterInvocations",
        "The faces bucket rule could not start the indexing workflow; the events are in the "
        "dead-letter queue. Read a message there (its object key), fix the cause (the indexing "
        "state machine or its role), then re-upload the photo so it is indexed.",
    ),
    (
        "dlq-failed",
        "InvocationsFailedToBeSentToDlq",
        "The faces bucket rule could neither start the indexing workflow nor put the event in "
        "the dead-letter queue: the event is lost. Check the queue's policy and the KMS key "
        "policy for events.amazonaws.com, then re-upload the photos added since this alarm.",
    ),
)


@dataclass(frozen=True)
class ObservabilityArgs:
    key_arn: pulumi.Input[str]
    state_machine_arns: dict[str, pulumi.Output[str]]
    dead_letter_queue_name: pulumi.Output[str]
    pipe_name: pulumi.Output[str]
    faces_rule_name: pulumi.Output[str]
    alarm_email: str | None = None
    alarm_topic_arn: str | None = None


class Observability(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    alarm_topic: aws.sns.Topic | None

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("facewatch:infra:Observability", name, None, opts)
        actions: list[pulumi.Input[str]] = []
        self.alarm_topic = None
        if args.alarm_email:
            self.alarm_topic = aws.sns.Topic(
                f"{name}-alarms",
                kms_master_key_id=args.key_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.alarm_topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=pulumi.ResourceOptions(parent=self.alarm_topic),
            )
            actions.append(self.alarm_topic.arn)
        if args.alarm_topic_arn:
            actions.append(args.alarm_topic_arn)
        self.alarms = {}
        for workflow, arn in sorted(args.state_machine_arns.items()):
            self._alarm(
                f"{name}-{workflow}-executions-failed", actions,
                description=f"The {workflow} workflow had failed executions: open its "
                "execution list in the Step Functions console (stack output).",
                namespace="AWS/States", metric="ExecutionsFailed",
                dimensions={"StateMachineArn": arn},
            )  # fmt: skip
        self._alarm(
            f"{name}-dlq-not-empty", actions,
            description="Messages wait in the facewatch dead-letter queue: each one is an "
            "alert, record or event that could not be handled.",
            namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": args.dead_letter_queue_name}, statistic="Maximum",
        )  # fmt: skip
        for metric in ("ExecutionFailed", "TargetStageFailed"):
            self._alarm(
                f"{name}-pipe-{metric.lower()}", actions,
                description=f"The records pipe reports {metric}: face-search records are not "
                "reaching the match workflow (see the pipe's log group).",
                namespace="AWS/EventBridge/Pipes", metric=metric,
                dimensions={"PipeName": args.pipe_name},
            )  # fmt: skip
        for suffix, metric, description in FACES_RULE_ALARMS:
            self._alarm(
                f"{name}-faces-rule-{suffix}",
                actions,
                description=description,
                namespace="AWS/Events",
                metric=metric,
                dimensions={"RuleName": args.faces_rule_name},
            )
        self.register_outputs({"alarms": [a.name for a in self.alarms.values()]})

    def _alarm(
        self,
        name: str,
        actions: list[pulumi.Input[str]],
        *,
        description: str,
        namespace: str,
        metric: str,
        dimensions: dict[str, pulumi.Output[str]],
        statistic: str = "Sum",
    ) -> None:
        self.alarms[name] = aws.cloudwatch.MetricAlarm(
            name,
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic,
            period=FIVE_MINUTES,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            # No data means nothing failed (these metrics are only emitted on activity).
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
            opts=pulumi.ResourceOptions(parent=self),
        )
