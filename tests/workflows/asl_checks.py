"""Static checks of state machine definitions (test helper).

- `statelint_problems`: the `statelint` linter (AWS's rules for the States Language).
- `aws_sdk_parameter_problems`: every ``arn:aws:states:::aws-sdk:<service>:<action>`` Task's
  Parameters checked against botocore's service model for that operation. moto's Step
  Functions interpreter creates its clients with ``parameter_validation=False``, so a wrong
  parameter name would otherwise pass every execution test and fail only on AWS.
- `settings_combinations`: match and indexing settings used to build definitions to check.

Static parameter values are validated with botocore's own ParamValidator (plus enum
membership, which it leaves to the service); ``<name>.$`` keys
(paths and intrinsic functions, evaluated at run time) are checked for their name only, and
required members must be present either way.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, Shape, StructureShape
from botocore.validate import ParamValidator
from statelint.linter import Linter

from facewatch.workflows.permissions import iter_task_states
from facewatch.workflows.settings import (
    AwsEnvironment,
    Channels,
    EmailChannel,
    IndexingWorkflowSettings,
    MatchWorkflowSettings,
    SlackChannel,
    SnsChannel,
    WebhookChannel,
    WhatsAppChannel,
)

AWS_SDK_PREFIX = "arn:aws:states:::aws-sdk:"

# Step Functions' aws-sdk service names that differ from botocore's (most are equal).
BOTOCORE_SERVICE = {"sfn": "stepfunctions", "cloudwatchlogs": "logs"}

# Placeholders standing in for a dynamic value in ParamValidator, by shape type.
_PLACEHOLDER = {
    "string": "x",
    "integer": 1,
    "long": 1,
    "float": 1.0,
    "double": 1.0,
    "boolean": True,
    "blob": b"x",
    "timestamp": "2025-01-01T00:00:00Z",
}


def statelint_problems(definition: dict[str, Any]) -> list[str]:
    return list(Linter.validate(definition))


@cache
def _operation(service: str, action: str) -> OperationModel:
    model = botocore.session.get_session().get_service_model(BOTOCORE_SERVICE.get(service, service))
    name = action[:1].upper() + action[1:]
    return model.operation_model(name)


def _placeholder(shape: Shape) -> Any:
    if shape.type_name == "structure":
        assert isinstance(shape, StructureShape)
        return {m: _placeholder(shape.members[m]) for m in shape.required_members}
    if shape.type_name == "list":
        return [_placeholder(shape.member)]  # type: ignore[attr-defined]
    if shape.type_name == "map":
        return {}
    if shape.type_name == "string" and shape.enum:
        return shape.enum[0]
    return _PLACEHOLDER.get(shape.type_name, "x")


def _concretize(params: Any, shape: Shape | None, where: str, problems: list[str]) -> Any:
    """Static copy of ``params`` for botocore: ``k.$`` keys checked by name, then replaced."""
    if not isinstance(params, dict) or shape is None or shape.type_name != "structure":
        # botocore's ParamValidator checks types, required members and minimums, not enums.
        if (
            isinstance(params, str)
            and shape is not None
            and shape.enum
            and params not in shape.enum
        ):
            problems.append(f"{where}: {params!r} is not one of {', '.join(shape.enum)}")
        if isinstance(params, list) and shape is not None and shape.type_name == "list":
            member = shape.member  # type: ignore[attr-defined]
            return [_concretize(p, member, f"{where}[{i}]", problems) for i, p in enumerate(params)]
        return params
    assert isinstance(shape, StructureShape)
    concrete: dict[str, Any] = {}
    for key, value in params.items():
        name = key[:-2] if key.endswith(".$") else key
        member = shape.members.get(name)
        if member is None:
            problems.append(
                f"{where}: unknown parameter {name!r} for {shape.name} "
                f"(valid: {', '.join(sorted(shape.members))})"
            )
            continue
        if key.endswith(".$"):
            if not isinstance(value, str) or not value.startswith(("$", "States.")):
                problems.append(f"{where}.{key}: not a path or intrinsic function: {value!r}")
            concrete[name] = _placeholder(member)
        else:
            concrete[name] = _concretize(value, member, f"{where}.{name}", problems)
    return concrete


def aws_sdk_parameter_problems(definition: dict[str, Any]) -> list[str]:
    """Problems of every aws-sdk Task's Parameters against botocore's model (empty = valid)."""
    problems: list[str] = []
    for name, state in iter_task_states(definition.get("States", {})):
        resource = state.get("Resource", "")
        if not resource.startswith(AWS_SDK_PREFIX):
            continue
        service, action = resource[len(AWS_SDK_PREFIX) :].split(".")[0].split(":", 1)
        try:
            operation = _operation(service, action)
        except Exception as error:  # unknown service or operation name
            problems.append(f"{name}: {resource}: {error}")
            continue
        where = f"{name} ({service}:{action})"
        params = copy.deepcopy(state.get("Parameters", {}))
        concrete = _concretize(params, operation.input_shape, where, problems)
        report = ParamValidator().validate(concrete, operation.input_shape)
        if report.has_errors():
            problems.append(f"{where}: {report.generate_report()}")
    return problems


# ----------------------------------------------------------------- settings to check

ENV = AwsEnvironment(region="us-east-1", account_id="123456789012")
CONNECTION = (
    "arn:aws:events:us-east-1:123456789012:connection/facewatch-{}/"
    "7c4f5a1e-0000-4000-8000-000000000000"
)
OBJECT_KEY_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:facewatch-object-key"
DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/facewatch-dlq"
STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:facewatch-match"


def indexing_settings() -> IndexingWorkflowSettings:
    return IndexingWorkflowSettings(
        env=ENV,
        collection_id="facewatch-faces",
        faces_bucket="facewatch-faces-bucket",
        registry_table="facewatch-registry",
        audit_bucket="facewatch-audit-bucket",
        dead_letter_queue_url=DLQ_URL,
        object_key_function_arn=OBJECT_KEY_FUNCTION_ARN,
    )


ALL_CHANNELS = Channels(
    email=EmailChannel(sender="alerts@facewatch.example", recipients=("guard@facewatch.example",)),
    sns=SnsChannel(topic_arn="arn:aws:sns:us-east-1:123456789012:facewatch-alerts"),
    slack=SlackChannel(connection_arn=CONNECTION.format("slack"), channel="C0FACE"),
    whatsapp=WhatsAppChannel(
        connection_arn=CONNECTION.format("whatsapp"),
        phone_number_id="1234",
        recipient="15550001111",
    ),
    webhook=WebhookChannel(
        connection_arn=CONNECTION.format("webhook"), url="https://hooks.example.com/facewatch"
    ),
)


def match_settings(
    channels: Channels = ALL_CHANNELS,
    unknown_face_alerts: bool = False,
) -> MatchWorkflowSettings:
    return MatchWorkflowSettings(
        env=ENV,
        registry_table="facewatch-registry",
        dedupe_table="facewatch-dedupe",
        faces_bucket="facewatch-faces-bucket",
        audit_bucket="facewatch-audit-bucket",
        dead_letter_queue_url=DLQ_URL,
        snapshot_function_arn="arn:aws:lambda:us-east-1:123456789012:function:facewatch-snapshot",
        channels=channels,
        unknown_face_alerts=unknown_face_alerts,
    )


def channel_subsets() -> Iterator[tuple[str, Channels]]:
    """No channel, each channel alone, and all of them."""
    names = ("email", "sns", "slack", "whatsapp", "webhook")
    yield "none", Channels()
    for name in names:
        yield name, Channels(**{name: getattr(ALL_CHANNELS, name)})
    yield "all", ALL_CHANNELS


def match_settings_combinations() -> Iterator[tuple[str, MatchWorkflowSettings]]:
    for (label, channels), unknown in itertools.product(channel_subsets(), (False, True)):
        yield f"{label}-unknown{unknown}", match_settings(channels, unknown)
