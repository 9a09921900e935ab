"""Building blocks of the config loader: naming rules of AWS and a problem collector.

Kept apart from `infra.config` so the model and the loader read top to bottom.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

NAMESPACE = "facewatch"

# Regions where Amazon Rekognition Video streaming face search (stream processors) exists.
STREAM_PROCESSOR_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1")
CHANNELS = ("email", "sns", "slack", "whatsapp", "webhook")
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# The stack name is part of names AWS checks (prefix = "facewatch-<stack>"): the KMS alias
# (alias/<prefix>: [a-zA-Z0-9:/_-]), the Lambda functions (<prefix>-snapshot: [a-zA-Z0-9_-],
# 64 max), the state machines (<prefix>-indexing: only 0-9, A-Z, a-z, - and _ when CloudWatch
# logging is on, 80 max), the pipe (<prefix>-records, 64 max) and the faces rule
# (<prefix>-faces-changed, 64 max: the longest, so 64 - len("facewatch--faces-changed")).
# Pulumi allows '.' and 100 characters in stack names, so this is checked before deploying.
STACK_NAME_MAX = 64 - len("facewatch--faces-changed")
STACK_NAME_RE = re.compile(rf"[A-Za-z0-9_-]{{1,{STACK_NAME_MAX}}}")

# Rekognition CollectionId: [a-zA-Z0-9_.\-]+, 1..255 characters.
COLLECTION_ID_RE = re.compile(r"[a-zA-Z0-9_.-]{1,255}")
# Deliberately simple: one @, no spaces, a dot in the domain. SES verifies the address anyway;
# this only catches typos before a deploy.
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
PHONE_RE = re.compile(r"\+?[1-9][0-9]{6,14}")
TOPIC_ARN_RE = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}")


class ConfigError(ValueError):
    """Raised with every problem of the configuration, one per line.

    A plain ValueError, so the CLI and the local mode use the model without the Pulumi SDK;
    the program raises `infra.config.StackConfigError`, which Pulumi prints without a
    traceback."""


def set_command(key: str, example: str, *, secret: bool = False) -> str:
    flag = "--secret " if secret else ""
    return f"pulumi config set {flag}{NAMESPACE}:{key} {example}"


class Checker:
    """Collects problems; each accessor returns a usable value even after a problem."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.problems: list[str] = []

    def fail(self, key: str, problem: str, fix: str) -> None:
        # Provider keys such as aws:region carry their own namespace.
        name = key if ":" in key else f"{NAMESPACE}:{key}"
        self.problems.append(f"{name}: {problem}. Fix: {fix}")

    def structured(self, key: str) -> Any:
        """A value set with `--path` or as JSON comes back as a JSON string from Pulumi."""
        value = self.values.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                self.fail(
                    key, "is not valid JSON", f"set it again with `{set_command(key, '...')}`"
                )
                return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.fail(key, f"must be true or false, got {value!r}", f"`{set_command(key, 'true')}`")
        return default

    def number(self, key: str, default: float, low: float, high: float, example: str) -> float:
        value = self.values.get(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not low <= number <= high:  # also rejects NaN
            self.fail(
                key,
                f"must be a number from {low:g} to {high:g}, got {value!r}",
                f"`{set_command(key, example)}`",
            )
            return default
        return number

    def integer(self, key: str, default: int, low: int, high: int, example: str) -> int:
        number = self.number(key, default, low, high, example)
        if number != int(number):
            self.fail(
                key, f"must be a whole number, got {number!r}", f"`{set_command(key, example)}`"
            )
        return int(number)

    def email(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not EMAIL_RE.fullmatch(value):
            self.fail(
                key,
                f"{value!r} is not an email address",
                "give an address such as alerts@example.com",
            )
            return ""
        return value

    def mapping(self, key: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Any:
        """An object value: None when unset, else a dict holding every required field."""
        value = self.structured(key)
        if value is None:
            return None
        fields = ", ".join(f"{name}" for name in required + optional)
        # Pulumi.yaml declares object keys as strings holding JSON: `--path` would store an
        # object there and Pulumi would refuse the stack, so fixes set the whole JSON text.
        example = "'" + json.dumps({name: "..." for name in required}) + "'"
        if not isinstance(value, dict):
            self.fail(
                key,
                f"must be an object with {fields}",
                f"`{set_command(key, example)}`",
            )
            return None
        for name in sorted(set(value) - set(required) - set(optional)):
            self.fail(f"{key}.{name}", "is not a known field", f"use only {fields}")
        for name in required:
            if value.get(name) in (None, "", []):
                self.fail(
                    f"{key}.{name}",
                    "is missing",
                    f"set the whole object again with `{set_command(key, example)}`",
                )
                return None
        return value


CAMERAS_EXAMPLE = """'["front-door"]'"""
