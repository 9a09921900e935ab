"""The config checks exercised through the whole program
(`__main__.py` reads the real Pulumi config), boundaries of the threshold, and names that never
come from values computed at run time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from stack_configs import ALL_CHANNELS, ONE_CAMERA
from stack_harness import RecordingMocks, StackRun, run_stack

from facewatch.config import TOKEN_KEYS, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def declared_before_failing(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, Any], **kw: Any
) -> tuple[list[str], str]:
    """The resource types the program declared, and the ConfigError it stopped with."""
    declared: list[str] = []
    original = RecordingMocks.new_resource

    def recording(self: RecordingMocks, args: Any) -> Any:
        declared.append(args.typ)
        return original(self, args)

    monkeypatch.setattr(RecordingMocks, "new_resource", recording)
    with pytest.raises(ConfigError) as raised:
        run_stack(values, **kw)
    return [t for t in declared if not t.startswith("pulumi:")], str(raised.value)


def test_a_bad_threshold_stops_the_program_before_any_resource(
    lambda_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared, message = declared_before_failing(
        monkeypatch, {**ONE_CAMERA, "faceMatchThreshold": "79"}
    )

    assert declared == []
    assert "facewatch:faceMatchThreshold" in message and "from 80 to 100" in message


def test_stream_processor_mode_outside_the_five_regions_stops_the_program(
    lambda_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the default mode (stream-processor) and the region read from aws:region
    declared, message = declared_before_failing(monkeypatch, ONE_CAMERA, region="eu-west-3")

    # Then nothing is declared and the one message names the key, the region and the fix
    assert declared == []
    assert "facewatch:analysis" in message and "eu-west-3" in message
    assert "pulumi config set facewatch:analysis edge" in message


def test_a_token_set_without_secret_stops_the_program(
    lambda_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Slack token stored as plain config (not flagged secret by Pulumi)
    values = {**ONE_CAMERA, "slack": ALL_CHANNELS["slack"], "slackToken": "xoxb-plain"}

    declared, message = declared_before_failing(monkeypatch, values)

    assert declared == []
    assert "facewatch:slackToken: is stored in plain text" in message
    assert "xoxb-plain" not in message


@pytest.mark.parametrize("threshold", ["80", "100"])
def test_threshold_bounds_are_inclusive(threshold: str) -> None:
    config = load_config(
        {"cameras": '["a"]', "faceMatchThreshold": threshold}, region="us-east-1", stack="dev"
    )

    assert config.face_match_threshold == float(threshold)


def test_a_malformed_sns_subscription_address_names_its_key() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(
            {"cameras": '["a"]', "sns": '{"enabled": true, "subscriptions": ["ops.example.com"]}'},
            region="us-east-1",
            stack="dev",
        )

    assert "facewatch:sns.subscriptions: 'ops.example.com' is not an email address" in str(
        raised.value
    )


@pytest.mark.parametrize("key", TOKEN_KEYS)
def test_pulumi_yaml_says_each_token_is_set_with_secret(key: str) -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]

    assert "--secret" in declared[key]["description"]


AUTO_NAMED = {
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:dynamodb/table:Table": ("name",),
    "aws:kinesis/stream:Stream": ("name",),
    "aws:sqs/queue:Queue": ("name", "namePrefix"),
    "aws:sns/topic:Topic": ("name", "namePrefix"),
}


def test_stateful_resources_take_their_names_from_auto_naming(
    stack: Callable[..., StackRun],
) -> None:
    run = stack({**ONE_CAMERA, "sns": ALL_CHANNELS["sns"], "alarmEmail": "o@x.io"})

    for type_, fields in AUTO_NAMED.items():
        resources = run.of_type(type_)
        assert resources, type_
        for resource in resources:
            assert not set(fields) & set(resource.inputs), (type_, resource.name)


def canonical(run: StackRun) -> str:
    """Every declared resource and output, with archives reduced to their path."""
    return json.dumps(
        {
            # Registration order follows output resolution, which may vary: compare by name.
            "resources": sorted(([r.type, r.name, r.inputs] for r in run.resources), key=str),
            "outputs": run.outputs,
        },
        sort_keys=True,
        default=lambda value: getattr(value, "path", repr(value)),
    )


def test_two_deploys_of_the_same_config_declare_identical_resources(
    lambda_package: Path,
) -> None:
    # No uuid4/random/time in names or inputs: a second `pulumi up` would replace nothing.
    values = {**ONE_CAMERA, "email": ALL_CHANNELS["email"]}

    first, second = run_stack(values), run_stack(values)

    assert canonical(first) == canonical(second)
