"""The config model: defaults, and one clear message (key + fix) per bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from facewatch.workflows.records import CAMERA_NAME_MAX
from infra.config import KNOWN_KEYS, ConfigError, FacewatchConfig, load_config
from infra.config_checks import STREAM_PROCESSOR_REGIONS

ROOT = Path(__file__).resolve().parents[2]


def load(
    values: dict[str, Any], region: str = "us-east-1", secrets: tuple[str, ...] = ()
) -> FacewatchConfig:
    return load_config(values, region=region, stack="dev", secret_keys=frozenset(secrets))


def problems(values: dict[str, Any], region: str = "us-east-1", **kw: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        load(values, region, **kw)
    return str(raised.value)


def test_minimal_config_gets_documented_defaults() -> None:
    config = load({"cameras": '["front-door"]'})

    assert config.camera_names == ("front-door",)
    assert config.analysis == "stream-processor"
    assert config.face_match_threshold == 80.0
    assert config.dedupe_window_seconds == 300
    assert config.unknown_face_alerts is False
    assert config.workflow_type == "STANDARD"
    assert config.collection_id == "facewatch-dev"
    assert config.snapshot_link_seconds == 3600
    assert (config.email, config.sns, config.slack, config.whatsapp, config.webhook) == (None,) * 5


def test_empty_strings_mean_unset_as_pulumi_yaml_defaults_them() -> None:
    config = load({"cameras": '["a"]', "email": "", "slackToken": "", "alarmEmail": ""})

    assert config.email is None and config.alarm_email is None


def test_cameras_accept_names_and_objects_as_json_text() -> None:
    config = load({"cameras": json.dumps(["a", {"name": "b", "source": "rtsp://cam/b"}])})

    assert [(c.name, c.source) for c in config.cameras] == [("a", None), ("b", "rtsp://cam/b")]


@pytest.mark.parametrize(
    ("values", "key", "fix"),
    [
        ({"cameras": '["a"]', "colour": "red"}, "facewatch:colour", "pulumi config rm"),
        ({"cameras": '["a"]', "telegram": "{}"}, "facewatch:telegram", "email, sns, slack"),
        ({"cameras": '["a"]', "facematchthreshold": "90"}, "facewatch:facematchthreshold",
         "did you mean facewatch:faceMatchThreshold"),
        ({"cameras": '["a"]', "faceMatchThreshold": "79.9"}, "facewatch:faceMatchThreshold",
         "from 80 to 100"),
        ({"cameras": '["a"]', "faceMatchThreshold": "101"}, "facewatch:faceMatchThreshold",
         "from 80 to 100"),
        ({"cameras": '["a"]', "faceMatchThreshold": "high"}, "facewatch:faceMatchThreshold",
         "pulumi config set facewatch:faceMatchThreshold"),
        ({"cameras": '["a"]', "analysis": "cloud"}, "facewatch:analysis",
         "facewatch:analysis edge"),
        ({"cameras": '["a"]', "workflowType": "FAST"}, "facewatch:workflowType", "STANDARD"),
        ({"cameras": '["a"]', "logRetentionDays": "10"}, "facewatch:logRetentionDays", "14"),
        ({"cameras": '["a"]', "snapshotLinkSeconds": "59"}, "facewatch:snapshotLinkSeconds",
         "from 60 to 43200"),
        ({"cameras": '["a"]', "snapshotLinkSeconds": "86400"}, "facewatch:snapshotLinkSeconds",
         "from 60 to 43200"),
        ({"cameras": '["a"]', "unknownFaceAlerts": "yes"}, "facewatch:unknownFaceAlerts", "true"),
        ({}, "facewatch:cameras", "front-door"),
        ({"cameras": "[]"}, "facewatch:cameras", "front-door"),
        ({"cameras": '["a", "a"]'}, "facewatch:cameras[1]", "own name"),
        ({"cameras": '["front door"]'}, "facewatch:cameras[0]", "letters, digits"),
        ({"cameras": '["caméra"]'}, "facewatch:cameras[0]", "letters, digits"),
        ({"cameras": json.dumps(["x" * (CAMERA_NAME_MAX + 1)])}, "facewatch:cameras[0]",
         f"1 to {CAMERA_NAME_MAX}"),
        ({"cameras": '[{"name": "a", "url": "x"}]'}, "facewatch:cameras[0].url", "name and source"),
        ({"cameras": '[{"name": "a", "source": "rtsp://u:pw@cam/s"}]'},
         "facewatch:cameras[0].source", "credentials"),
        ({"cameras": "[oops"}, "facewatch:cameras", "set it again"),
        ({"cameras": '["a"]', "email": '{"sender": "alerts.x.io", "recipients": ["b@x.io"]}'},
         "facewatch:email.sender", "alerts@example.com"),
        ({"cameras": '["a"]', "email": '{"sender": "a@x.io", "recipients": ["b@x"]}'},
         "facewatch:email.recipients", "alerts@example.com"),
        ({"cameras": '["a"]', "email": '{"sender": "a@x.io"}'}, "facewatch:email.recipients",
         "pulumi config set facewatch:email '{\"sender\""),
        ({"cameras": '["a"]', "alarmEmail": "ops"}, "facewatch:alarmEmail", "alerts@example.com"),
        ({"cameras": '["a"]', "sns": '{"enabled": "maybe"}'}, "facewatch:sns.enabled", "true"),
        ({"cameras": '["a"]', "slack": '{"channel": "#a"}'}, "facewatch:slackToken", "--secret"),
        ({"cameras": '["a"]', "whatsapp": '{"phoneNumberId": "12ab", "recipient": "15551234567"}'},
         "facewatch:whatsapp.phoneNumberId", "WhatsApp Manager"),
        ({"cameras": '["a"]', "webhook": '{"url": "http://hooks.example.com"}'},
         "facewatch:webhook.url", "https"),
        ({"cameras": '["a"]', "alarmTopicArn": "alerts"}, "facewatch:alarmTopicArn", "arn:aws:sns"),
        ({"cameras": '["a"]', "collectionId": "my collection"}, "facewatch:collectionId",
         "letters, digits"),
    ],
)  # fmt: skip
def test_each_bad_input_names_its_key_and_the_fix(
    values: dict[str, Any], key: str, fix: str
) -> None:
    message = problems(values, secrets=("slackToken",) if "slackToken" in values else ())

    line = next(line for line in message.splitlines() if line.strip().startswith(f"{key}:"))
    assert fix in line


@pytest.mark.parametrize("region", ["eu-west-3", "us-east-2", "ap-south-1"])
def test_stream_processor_mode_is_refused_where_rekognition_streaming_does_not_exist(
    region: str,
) -> None:
    message = problems({"cameras": '["a"]'}, region=region)

    assert "facewatch:analysis" in message and region in message
    assert "facewatch:analysis edge" in message


@pytest.mark.parametrize("region", STREAM_PROCESSOR_REGIONS)
def test_stream_processor_mode_is_accepted_in_the_five_regions(region: str) -> None:
    assert load({"cameras": '["a"]'}, region=region).analysis == "stream-processor"


def test_edge_mode_works_in_any_region() -> None:
    assert load({"cameras": '["a"]', "analysis": "edge"}, region="eu-west-3").analysis == "edge"


def test_missing_region_names_aws_region() -> None:
    lines = [line.strip() for line in problems({"cameras": '["a"]'}, region="").splitlines()]
    # the provider key keeps its own namespace (not facewatch:aws:region)
    assert any(line.startswith("aws:region: is not set") for line in lines)


def test_object_key_fixes_never_suggest_path_syntax() -> None:
    # Pulumi.yaml declares object keys as JSON strings: `--path` would make Pulumi refuse them
    message = problems({"cameras": '["a"]', "email": '{"sender": "a@x.io"}', "sns": '"x"'})
    assert "facewatch:email.recipients" in message
    assert "--path" not in message


def test_a_token_set_without_secret_is_refused() -> None:
    values = {"cameras": '["a"]', "slack": '{"channel": "#a"}', "slackToken": "xoxb-1"}

    message = problems(values)

    assert "facewatch:slackToken: is stored in plain text" in message
    assert "--secret facewatch:slackToken" in message
    assert "xoxb-1" not in message


def test_a_token_without_its_channel_is_refused() -> None:
    message = problems({"cameras": '["a"]', "whatsappToken": "t"}, secrets=("whatsappToken",))

    assert "facewatch:whatsappToken: is set but facewatch:whatsapp is not" in message


def test_all_problems_are_reported_together_one_per_line() -> None:
    message = problems({"cameras": '["a b"]', "faceMatchThreshold": "5", "analysis": "x"})

    lines = [line for line in message.splitlines() if line.startswith("  facewatch:")]
    assert len(lines) == 3


def test_channels_are_parsed_into_typed_settings() -> None:
    config = load(
        {
            "cameras": '["a"]',
            "email": '{"sender": "a@x.io", "recipients": ["b@x.io", "c@x.io"]}',
            "sns": '{"enabled": true, "subscriptions": ["d@x.io"]}',
            "slack": '{"channel": "#alerts"}',
            "slackToken": "xoxb",
            "webhook": '{"url": "https://h.example.com/x"}',
        },
        secrets=("slackToken",),
    )

    assert config.email is not None and config.email.recipients == ("b@x.io", "c@x.io")
    assert config.sns is not None and config.sns.subscriptions == ("d@x.io",)
    assert config.slack is not None and config.slack.channel == "#alerts"
    assert config.webhook is not None and config.webhook.has_token is False


def test_sns_disabled_declares_no_topic() -> None:
    assert load({"cameras": '["a"]', "sns": '{"enabled": false}'}).sns is None


def test_pulumi_yaml_documents_exactly_the_known_keys() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())

    assert project["name"] == "facewatch"
    assert project["runtime"]["options"] == {"toolchain": "pip", "virtualenv": ".venv"}
    declared = project["config"]
    assert set(declared) == set(KNOWN_KEYS)
    for key, spec in declared.items():
        assert spec.get("description"), key
        assert spec["type"] in ("string", "integer", "boolean"), key
        # Pulumi requires a declared key without default: only cameras is required.
        assert ("default" in spec) == (key != "cameras"), key


def test_pulumi_yaml_defaults_load_to_the_model_defaults() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    values = {key: str(spec["default"]).lower() if isinstance(spec["default"], bool) else
              spec["default"] for key, spec in declared.items() if "default" in spec}  # fmt: skip

    config = load({**values, "cameras": '["a"]'})

    assert config == load({"cameras": '["a"]'})


def test_dev_stack_example_is_valid_for_us_east_1() -> None:
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    values = {k.split(":", 1)[1]: v for k, v in stack.items() if k.startswith("facewatch:")}

    config = load(values, region=stack["aws:region"])

    assert stack["aws:region"] == "us-east-1"
    assert config.cameras and config.email is not None
