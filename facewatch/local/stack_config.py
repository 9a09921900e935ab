"""The local resources from a stack's configuration file, through the stack's own model.

`facewatch local up --config Pulumi.dev.yaml` reads the file's `config:` map, keeps the
`facewatch:` keys and `aws:region`, and validates them with `facewatch.config.load_config`, the
model `__main__.py` uses, so the local mode refuses exactly what `pulumi up` would refuse and
builds its resources from the same values: dedupe window, unknown-face alerts, collection id,
cameras and the configured channels (email sender/recipients, SNS,
Slack channel, WhatsApp ids, webhook URL). Without `--config` the local mode uses its own
example (`LocalResources()` defaults: every channel, placeholder addresses), because the
demo must show every channel and a stack file's cameras have no local video source.

Threshold: `faceMatchThreshold` is on Rekognition's scale, which the local face engine's does
not share; the local processors apply `LOCAL_MODE_THRESHOLD` (the engine's "same person") and
`local up` says so when the file sets another value (README, "Local face engine").

Secrets: a stack file holds tokens encrypted (`{"secure": "..."}`), which only the Pulumi
CLI can decrypt. They count as set (so the model's "token required" checks pass) but their
value is a placeholder; it is never read, logged or printed.

Cameras: a camera's `source` from the file is used; `--camera NAME=SOURCE` adds or
overrides one (a stack camera without a source can then be given the sample clip or a
webcam).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from facewatch.engine.embedding import LOCAL_MODE_THRESHOLD

from .resources import PLACEHOLDER_SECRET, LocalResources

NAMESPACE = "facewatch:"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class StackConfigError(ValueError):
    """The stack file cannot be read or does not validate (message names key and fix)."""


def stack_name(path: Path) -> str:
    """`Pulumi.dev.yaml` -> `dev` (Pulumi's naming of stack files)."""
    name = path.name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name.split(".", 1)[1].rsplit(".", 1)[0]
    return path.stem


def load_stack_file(path: Path) -> Any:
    """Validate the stack file with `facewatch.config`; returns its `FacewatchConfig`."""
    from facewatch.config import ConfigError, load_config

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise StackConfigError(f"cannot read {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise StackConfigError(f"{path} is not valid YAML: {error}") from error
    raw = document.get("config") if isinstance(document, dict) else None
    if not isinstance(raw, Mapping):
        raise StackConfigError(f"{path} has no `config:` map (is it a Pulumi.<stack>.yaml?)")
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, value in raw.items():
        if not str(key).startswith(NAMESPACE):
            continue
        name = str(key)[len(NAMESPACE) :]
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            values[name] = PLACEHOLDER_SECRET  # encrypted: only its presence matters here
            secrets.add(name)
        else:
            values[name] = value
    region = raw.get("aws:region")
    try:
        return load_config(
            values,
            region=str(region) if region else None,
            stack=stack_name(path),
            secret_keys=frozenset(secrets),
        )
    except ConfigError as error:
        raise StackConfigError(f"{path}: {error}") from error


def check_local_webhook_url(url: str) -> str:
    """The stack only calls https:// (HTTP Task); locally http:// to this machine is allowed
    too, to test a receiver running here."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return url
    raise StackConfigError(
        f"--webhook-url {url!r} must be https://..., or http://127.0.0.1:PORT/... locally"
    )


def resources_from_config(
    config: Any, *, cameras: Mapping[str, str] | None = None, webhook_url: str | None = None
) -> LocalResources:
    """`LocalResources` holding the stack's settings (names stay the local ones)."""
    sources = {c.name: c.source for c in config.cameras if c.source}
    sources.update(cameras or {})
    channels = [name for name in ("email", "sns", "slack", "whatsapp") if getattr(config, name)]
    if config.webhook is not None or webhook_url:
        channels.append("webhook")
    fields: dict[str, Any] = {
        "region": config.region,
        # Rekognition's scale in the file, the engine's here: see LOCAL_MODE_THRESHOLD.
        "face_match_threshold": LOCAL_MODE_THRESHOLD,
        "configured_face_match_threshold": config.face_match_threshold,
        "dedupe_window_seconds": config.dedupe_window_seconds,
        "unknown_face_alerts": config.unknown_face_alerts,
        "collection": config.collection_id,
        "channels": tuple(channels),
        "cameras": {name: str(source) for name, source in sources.items()},
    }
    if config.email is not None:
        fields["sender"] = config.email.sender
        fields["recipients"] = tuple(config.email.recipients)
    if config.slack is not None:
        fields["slack_channel"] = config.slack.channel
    if config.whatsapp is not None:
        fields["whatsapp_phone_number_id"] = config.whatsapp.phone_number_id
        fields["whatsapp_recipient"] = config.whatsapp.recipient
    if webhook_url:
        fields["webhook_url"] = check_local_webhook_url(webhook_url)
    elif config.webhook is not None:
        fields["webhook_url"] = config.webhook.url
    return LocalResources(**fields)
