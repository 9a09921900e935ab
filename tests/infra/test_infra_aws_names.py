"""Names AWS (and pulumi-aws auto-naming) would refuse at `pulumi up`, which mocks accept.

Limits are those of the AWS API references (CreateRole, CreateFunction, CreateStateMachine,
CreatePipe, PutRule, CreateAlias, ...). Auto-named resources get "<logical name>-" plus 7
random characters, and pulumi-aws refuses a logical name that leaves no room for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from stack_configs import ALL_CHANNELS, ALL_TOKENS
from stack_harness import StackRun

from facewatch.workflows.records import CAMERA_NAME_MAX
from infra.analysis import ROLE_LOGICAL_NAME_MAX, processor_role_name
from infra.config import ConfigError, load_config
from infra.config_checks import STACK_NAME_MAX

# Maximum length of the physical name per auto-named resource type (AWS API references).
AUTO_NAME_LIMITS = {
    "aws:iam/role:Role": 64,
    "aws:iam/policy:Policy": 128,
    "aws:iam/rolePolicy:RolePolicy": 128,
    "aws:s3/bucket:Bucket": 63,
    "aws:sqs/queue:Queue": 80,
    "aws:sns/topic:Topic": 256,
    "aws:kinesis/stream:Stream": 128,
    "aws:dynamodb/table:Table": 255,
    "aws:cloudwatch/eventConnection:EventConnection": 64,
    "aws:cloudwatch/metricAlarm:MetricAlarm": 255,
}
AUTO_NAME_SUFFIX = len("-") + 7
# (pattern, maximum length) of the explicitly named resources whose names hold the stack.
EXPLICIT_NAME_RULES = {
    # CreateFunction FunctionName (name form).
    "aws:lambda/function:Function": (r"[a-zA-Z0-9_-]+", 64),
    # CreateStateMachine: "To enable logging with CloudWatch Logs, the name should only
    # contain 0-9, A-Z, a-z, - and _."
    "aws:sfn/stateMachine:StateMachine": (r"[0-9A-Za-z_-]+", 80),
    "aws:pipes/pipe:Pipe": (r"[.\-_A-Za-z0-9]+", 64),
    "aws:cloudwatch/eventRule:EventRule": (r"[.\-_A-Za-z0-9]+", 64),
    "aws:kms/alias:Alias": (r"alias/[a-zA-Z0-9:/_-]+", 256),
}
LONGEST_CAMERA = "c" * CAMERA_NAME_MAX
LONGEST_STACK = "s" * STACK_NAME_MAX


@pytest.fixture(scope="module")
def long_names_run(stack: Callable[..., StackRun]) -> StackRun:
    """Every channel, the longest camera names and the longest stack name accepted."""
    cameras = [LONGEST_CAMERA, LONGEST_CAMERA[:-1] + "d"]
    values = {"cameras": cameras, **ALL_CHANNELS, "alarmEmail": "o@example.com"}
    return stack(values, ALL_TOKENS, stack=LONGEST_STACK)


def test_auto_named_resources_leave_room_for_the_random_suffix(long_names_run: StackRun) -> None:
    too_long = [
        (r.type, r.name)
        for r in long_names_run.resources
        if r.type in AUTO_NAME_LIMITS
        and "name" not in r.inputs
        and "bucket" not in r.inputs
        and len(r.name) + AUTO_NAME_SUFFIX > AUTO_NAME_LIMITS[r.type]
    ]

    assert too_long == []


def test_explicit_names_holding_the_stack_name_are_valid_for_aws(
    long_names_run: StackRun,
) -> None:
    invalid = [
        (r.type, r.inputs["name"])
        for r in long_names_run.resources
        if r.type in EXPLICIT_NAME_RULES
        and not (
            re.fullmatch(EXPLICIT_NAME_RULES[r.type][0], r.inputs["name"])
            and len(r.inputs["name"]) <= EXPLICIT_NAME_RULES[r.type][1]
        )
    ]

    assert [r.type for r in long_names_run.resources if r.type in EXPLICIT_NAME_RULES]
    assert invalid == []


def test_long_camera_names_get_distinct_processor_roles(long_names_run: StackRun) -> None:
    roles = [r.name for r in long_names_run.of_type("aws:iam/role:Role") if "processor" in r.name]

    assert len(roles) == 2 and len(set(roles)) == 2
    assert all(len(role) <= ROLE_LOGICAL_NAME_MAX for role in roles)


def test_short_camera_names_keep_their_readable_role_name() -> None:
    assert processor_role_name("analysis", "front-door") == "analysis-front-door-processor-role"


@pytest.mark.parametrize(
    "stack_name",
    ["dev.eu", "s" * (STACK_NAME_MAX + 1), "team/dev"],
)
def test_stack_names_aws_would_refuse_are_rejected_before_deploying(stack_name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({"cameras": '["a"]'}, region="us-east-1", stack=stack_name)

    assert f"stack {stack_name!r}" in str(raised.value)
    assert "pulumi stack init" in str(raised.value)


def test_the_longest_accepted_stack_name_loads() -> None:
    config = load_config({"cameras": '["a"]'}, region="us-east-1", stack=LONGEST_STACK)

    assert config.stack == LONGEST_STACK
