"""The stack's configuration: a typed model, validated before any resource is declared.

`load_config` takes plain values (what `pulumi config set` stored, keyed without the
`facewatch:` namespace) so tests drive it with a dict; `from_pulumi` reads the real
stack configuration. Every problem found becomes one line naming the key and the fix,
and all of them are raised together in a single `ConfigError`.

Secrets (`slackToken`, `whatsappToken`, `webhookToken`) are only checked for presence
here; their values are read with `Config.require_secret` where the connections are
declared, so they never enter this model, logs or outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import pulumi

from facewatch.workflows.records import CAMERA_NAME_MAX, PROCESSOR_PREFIX, is_valid_camera_name
from facewatch.workflows.settings import AnalysisMode
from infra.config_channels import (
    EmailSettings,
    SlackSettings,
    SnsSettings,
    WebhookSettings,
    WhatsAppSettings,
    channels,
)
from infra.config_checks import (
    CAMERAS_EXAMPLE,
    CHANNELS,
    COLLECTION_ID_RE,
    LOG_RETENTION_DAYS,
    NAMESPACE,
    STACK_NAME_MAX,
    STACK_NAME_RE,
    STREAM_PROCESSOR_REGIONS,
    TOPIC_ARN_RE,
    Checker,
    ConfigError,
    set_command,
)

WorkflowType = Literal["STANDARD", "EXPRESS"]
ANALYSIS_MODES: tuple[AnalysisMode, ...] = ("stream-processor", "edge")


@dataclass(frozen=True)
class Camera:
    name: str
    # What the camera agent / producer reads (device index, file or RTSP URL); None = unknown.
    source: str | None = None


@dataclass(frozen=True)
class FacewatchConfig:
    region: str
    stack: str
    cameras: tuple[Camera, ...]
    analysis: AnalysisMode = "stream-processor"
    face_match_threshold: float = 80.0
    dedupe_window_seconds: int = 300
    unknown_face_alerts: bool = False
    workflow_type: WorkflowType = "STANDARD"
    audit_retention_days: int = 365
    audit_object_lock: bool = False
    log_retention_days: int = 30
    # Lifetime of the presigned snapshot links in notifications (handlers/snapshot.py).
    snapshot_link_seconds: int = 3600
    collection_id: str = ""
    email: EmailSettings | None = None
    sns: SnsSettings | None = None
    slack: SlackSettings | None = None
    whatsapp: WhatsAppSettings | None = None
    webhook: WebhookSettings | None = None
    alarm_email: str | None = None
    alarm_topic_arn: str | None = None
    force_destroy: bool = False

    @property
    def camera_names(self) -> tuple[str, ...]:
        return tuple(camera.name for camera in self.cameras)


KNOWN_KEYS = (
    "cameras",
    "analysis",
    "faceMatchThreshold",
    "dedupeWindowSeconds",
    "unknownFaceAlerts",
    "workflowType",
    "auditRetentionDays",
    "auditObjectLock",
    "logRetentionDays",
    "snapshotLinkSeconds",
    "collectionId",
    "email",
    "sns",
    "slack",
    "slackToken",
    "whatsapp",
    "whatsappToken",
    "webhook",
    "webhookToken",
    "alarmEmail",
    "alarmTopicArn",
    "forceDestroy",
)
TOKEN_KEYS = ("slackToken", "whatsappToken", "webhookToken")


def _cameras(check: Checker) -> tuple[Camera, ...]:
    raw = check.structured("cameras")
    fix = f"`{set_command('cameras', CAMERAS_EXAMPLE)}`"
    if raw is None or raw == [] or raw == "":
        check.fail("cameras", "needs at least one camera", fix)
        return ()
    items = raw if isinstance(raw, list) else [raw]
    cameras: list[Camera] = []
    for index, item in enumerate(items):
        key = f"cameras[{index}]"
        name, source = item, None
        if isinstance(item, dict):
            name = item.get("name")
            for extra in sorted(set(item) - {"name", "source"}):
                check.fail(f"{key}.{extra}", "is not a known field", "use only name and source")
            source = item.get("source")
            if source is not None and (not isinstance(source, str) or urlsplit(source).password):
                check.fail(
                    f"{key}.source",
                    "must be a string without a password",
                    "keep credentials out of stack config (stored in plain text, shown in "
                    "outputs): give the agent an RTSP URL without them",
                )
                source = None
        if not isinstance(name, str) or not is_valid_camera_name(name):
            check.fail(
                key,
                f"camera name {name!r} is rejected by Kinesis Video Streams "
                f"(StreamName [a-zA-Z0-9_.-]{{1,256}}) or Rekognition (StreamProcessor "
                f"Name [a-zA-Z0-9_.-]{{1,128}}, here '{PROCESSOR_PREFIX}' + camera)",
                f"use 1 to {CAMERA_NAME_MAX} letters, digits, '.', '_' or '-', e.g. front-door",
            )
            continue
        if name in (camera.name for camera in cameras):
            check.fail(key, f"camera {name!r} is listed twice", "give each camera its own name")
            continue
        cameras.append(Camera(name=name, source=source))
    return tuple(cameras)


def load_config(
    values: Mapping[str, Any],
    *,
    region: str | None,
    stack: str,
    secret_keys: frozenset[str] = frozenset(),
) -> FacewatchConfig:
    """Validate raw config values (keys without namespace) into a `FacewatchConfig`.

    "" means unset: Pulumi.yaml gives every optional key the default "" (Pulumi requires a
    default for a declared key that may be absent). `secret_keys` are the keys set with
    --secret; a token set without it is refused.
    """
    values = {key: value for key, value in values.items() if value not in ("", None)}
    check = Checker(values)
    for key in sorted(set(values) - set(KNOWN_KEYS)):
        hint = [k for k in KNOWN_KEYS if k.lower() == key.lower()]
        check.fail(
            key,
            "is not a known key",
            f"did you mean {NAMESPACE}:{hint[0]}?"
            if hint
            else f"`pulumi config rm {NAMESPACE}:{key}` (known keys are listed in Pulumi.yaml; "
            f"notification channels are {', '.join(CHANNELS)})",
        )
    for key in TOKEN_KEYS:
        if key in values and key not in secret_keys:
            check.fail(
                key,
                "is stored in plain text",
                f"`pulumi config rm {NAMESPACE}:{key}`, then "
                f"`{set_command(key, 'TOKEN', secret=True)}`",
            )
    if not STACK_NAME_RE.fullmatch(stack):
        check.problems.append(
            f"stack {stack!r}: the stack name is part of AWS resource names (facewatch-STACK-"
            f"faces-changed rule, Lambda functions, state machines, KMS alias) that allow only "
            f"letters, digits, '-' and '_' and at most {STACK_NAME_MAX} characters here. Fix: "
            f"deploy from a stack with such a name (`pulumi stack init dev`)"
        )
    cameras = _cameras(check)
    analysis = values.get("analysis", "stream-processor")
    if analysis not in ANALYSIS_MODES:
        check.fail(
            "analysis",
            f"unknown analysis mode {analysis!r}",
            f"`{set_command('analysis', 'stream-processor')}` or "
            f"`{set_command('analysis', 'edge')}`",
        )
        analysis = "edge"
    if not region:
        check.fail("aws:region", "is not set", "`pulumi config set aws:region us-east-1`")
    elif analysis == "stream-processor" and region not in STREAM_PROCESSOR_REGIONS:
        check.fail(
            "analysis",
            f"stream-processor mode needs Rekognition streaming face search, "
            f"which {region} does not offer (only {', '.join(STREAM_PROCESSOR_REGIONS)})",
            f"`{set_command('analysis', 'edge')}` or choose one of those regions for aws:region",
        )
    workflow_type = values.get("workflowType", "STANDARD")
    if workflow_type not in ("STANDARD", "EXPRESS"):
        check.fail(
            "workflowType",
            f"must be STANDARD or EXPRESS, got {workflow_type!r}",
            f"`{set_command('workflowType', 'STANDARD')}`",
        )
        workflow_type = "STANDARD"
    log_days = check.integer("logRetentionDays", 30, 1, 3653, "30")
    if log_days not in LOG_RETENTION_DAYS:
        check.fail(
            "logRetentionDays",
            f"CloudWatch Logs does not accept {log_days} days",
            f"use one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
        )
    collection_id = str(values.get("collectionId", f"facewatch-{stack}"))
    if not COLLECTION_ID_RE.fullmatch(collection_id):
        check.fail(
            "collectionId",
            f"{collection_id!r} is not a valid Rekognition collection id",
            "use 1 to 255 letters, digits, '.', '_' or '-'",
        )
    alarm_email = values.get("alarmEmail")
    alarm_topic = values.get("alarmTopicArn")
    if alarm_topic is not None and not TOPIC_ARN_RE.fullmatch(str(alarm_topic)):
        check.fail(
            "alarmTopicArn",
            f"{alarm_topic!r} is not an SNS topic ARN",
            "give arn:aws:sns:REGION:ACCOUNT:NAME",
        )
    config = FacewatchConfig(
        region=region or "",
        stack=stack,
        cameras=cameras,
        analysis=cast(AnalysisMode, analysis),
        face_match_threshold=check.number("faceMatchThreshold", 80.0, 80, 100, "90"),
        dedupe_window_seconds=check.integer("dedupeWindowSeconds", 300, 1, 86400, "300"),
        unknown_face_alerts=check.boolean("unknownFaceAlerts", False),
        workflow_type=cast(WorkflowType, workflow_type),
        audit_retention_days=check.integer("auditRetentionDays", 365, 1, 36500, "365"),
        audit_object_lock=check.boolean("auditObjectLock", False),
        log_retention_days=log_days,
        # Bounded at 12 h: a link signed with the Lambda role's temporary credentials stops
        # working when they expire, whatever expiry it was signed for (handlers/snapshot.py).
        snapshot_link_seconds=check.integer("snapshotLinkSeconds", 3600, 60, 43200, "3600"),
        collection_id=collection_id,
        alarm_email=check.email("alarmEmail", alarm_email) if alarm_email is not None else None,
        alarm_topic_arn=str(alarm_topic) if alarm_topic is not None else None,
        force_destroy=check.boolean("forceDestroy", False),
        **channels(check),
    )
    if check.problems:
        raise ConfigError("invalid facewatch configuration:\n  " + "\n  ".join(check.problems))
    return config


def from_pulumi(get_keys: Callable[[], list[str]] | None = None) -> FacewatchConfig:
    """Read and validate the `facewatch:` namespace of the current stack."""
    prefix = f"{NAMESPACE}:"
    if get_keys is None:
        set_keys = set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.get_config_env())
        keys = [key[len(prefix) :] for key in set_keys if key.startswith(prefix)]
    else:
        keys = get_keys()
    values = {key: pulumi.runtime.get_config(prefix + key) for key in keys}
    secret = frozenset(k for k in keys if pulumi.runtime.is_config_secret(prefix + k))
    region = pulumi.Config("aws").get("region")
    return load_config(values, region=region, stack=pulumi.get_stack(), secret_keys=secret)
