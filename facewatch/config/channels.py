"""The notification channels of the config: typed settings and their validation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from facewatch.config.checks import NAMESPACE, PHONE_RE, Checker, set_command


@dataclass(frozen=True)
class EmailSettings:
    sender: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class SnsSettings:
    subscriptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlackSettings:
    channel: str


@dataclass(frozen=True)
class WhatsAppSettings:
    phone_number_id: str
    recipient: str


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    has_token: bool


def channels(check: Checker) -> dict[str, Any]:
    out: dict[str, Any] = {}
    email = check.mapping("email", ("sender", "recipients"))
    if email is not None:
        recipients = email["recipients"]
        recipients = [recipients] if isinstance(recipients, str) else recipients
        out["email"] = EmailSettings(
            sender=check.email("email.sender", email["sender"]),
            recipients=tuple(check.email("email.recipients", r) for r in recipients),
        )
    sns = check.mapping("sns", ("enabled",), ("subscriptions",))
    if sns is not None and str(sns["enabled"]).lower() not in ("true", "false"):
        check.fail(
            "sns.enabled",
            f"must be true or false, got {sns['enabled']!r}",
            f"""`pulumi config set {NAMESPACE}:sns '{{"enabled": true}}'`""",
        )
    if sns is not None and str(sns["enabled"]).lower() == "true":
        subscriptions = sns.get("subscriptions") or []
        out["sns"] = SnsSettings(tuple(check.email("sns.subscriptions", s) for s in subscriptions))
    slack = check.mapping("slack", ("channel",))
    if slack is not None:
        out["slack"] = SlackSettings(channel=str(slack["channel"]))
    whatsapp = check.mapping("whatsapp", ("phoneNumberId", "recipient"))
    if whatsapp is not None:
        if not str(whatsapp["phoneNumberId"]).isdigit():
            check.fail(
                "whatsapp.phoneNumberId",
                "must be the numeric phone number ID",
                "copy it from WhatsApp Manager > API setup",
            )
        if not PHONE_RE.fullmatch(str(whatsapp["recipient"])):
            check.fail(
                "whatsapp.recipient", "must be a phone number with country code", "e.g. 15551234567"
            )
        out["whatsapp"] = WhatsAppSettings(
            str(whatsapp["phoneNumberId"]), str(whatsapp["recipient"])
        )
    webhook = check.mapping("webhook", ("url",))
    if webhook is not None:
        url = urlsplit(str(webhook["url"]))
        if url.scheme != "https" or not url.hostname or url.password:
            check.fail(
                "webhook.url",
                "must be an https:// URL without credentials (the HTTP Task only calls HTTPS)",
                "put a token in facewatch:webhookToken instead",
            )
        out["webhook"] = WebhookSettings(str(webhook["url"]), "webhookToken" in check.values)
    for channel, token in (("slack", "slackToken"), ("whatsapp", "whatsappToken")):
        if channel in out and token not in check.values:
            check.fail(
                token,
                f"is required when {NAMESPACE}:{channel} is set",
                f"`{set_command(token, 'TOKEN', secret=True)}`",
            )
    for channel, token in (
        ("slack", "slackToken"),
        ("whatsapp", "whatsappToken"),
        ("webhook", "webhookToken"),
    ):
        if token in check.values and channel not in out:
            check.fail(
                token,
                f"is set but {NAMESPACE}:{channel} is not",
                f"configure {NAMESPACE}:{channel} or `pulumi config rm {NAMESPACE}:{token}`",
            )
    return out
