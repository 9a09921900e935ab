"""The match workflow's notification channels: one Parallel branch per configured channel.

Every channel retries throttling and 5xx with backoff, then catches everything: its failure
goes to the dead-letter queue with the full context and becomes outcome ``failed``, so one
channel never blocks the others or the audit record. SES sends HTML only when the snapshot
Lambda supplied the escaped name (ASL cannot escape), else text only; Slack, WhatsApp and the
webhook go through the HTTP Task with EventBridge connections holding the credentials.
"""

from __future__ import annotations

from typing import Any

from facewatch.workflows.asl import State, catch_all, retry
from facewatch.workflows.match_common import (
    HTML_MESSAGE,
    HTTP_TRANSIENT,
    SES_TRANSIENT,
    SLACK_TEXT_ESCAPED,
    SLACK_TEXT_WITHOUT_NAME,
    SNS_SUBJECT,
    SNS_TRANSIENT,
    SUBJECT,
    TEXT_MESSAGE,
    dead_letter_state,
    match_context,
)
from facewatch.workflows.settings import MatchWorkflowSettings


def _branch(
    settings: MatchWorkflowSettings, channel: str, first: str, states: dict[str, State]
) -> dict[str, Any]:
    """A channel branch: ``states`` deliver (ending in outcome ``delivered``) or go to
    ``<Channel>Failed`` with the error in ``$.Failure``."""
    failed, dead_letter, outcome = (
        f"{channel}Failed",
        f"{channel}ToDeadLetterQueue",
        f"{channel}FailedOutcome",
    )
    name = channel.lower()
    return {
        "StartAt": first,
        "States": {
            **states,
            failed: {"Type": "Pass", "Next": dead_letter},
            dead_letter: dead_letter_state(
                settings,
                {
                    "kind": "channel-failure",
                    "channel": name,
                    "error.$": "$.Failure",
                    **match_context(),
                },
                outcome,
            ),
            outcome: {
                "Type": "Pass",
                "Parameters": {"Channel": name, "Outcome": "failed", "Error.$": "$.Failure"},
                "End": True,
            },
        },
    }


def _task(
    resource: str,
    parameters: dict[str, Any],
    errors: list[str],
    channel: str,
    settings: MatchWorkflowSettings,
    **extra: Any,
) -> State:
    state: State = {
        "Type": "Task",
        "Resource": resource,
        "Parameters": parameters,
        "Retry": retry(
            errors, settings.channel_retry_interval_seconds, settings.channel_retry_max_attempts
        ),
        "Catch": [catch_all(f"{channel}Failed", "$.Failure")],
    }
    state.update(extra)
    if "Next" not in state:
        state["ResultSelector"] = {"Channel": channel.lower(), "Outcome": "delivered"}
        state["End"] = True
    return state


def _email(settings: MatchWorkflowSettings) -> dict[str, Any]:
    email = settings.channels.email
    assert email is not None

    def send(html: bool) -> State:
        body: dict[str, Any] = {"Text": {"Data.$": TEXT_MESSAGE, "Charset": "UTF-8"}}
        if html:
            body["Html"] = {"Data.$": HTML_MESSAGE, "Charset": "UTF-8"}
        parameters = {
            "FromEmailAddress": email.sender,
            "Destination": {"ToAddresses": list(email.recipients)},
            "Content": {
                "Simple": {"Subject": {"Data.$": SUBJECT, "Charset": "UTF-8"}, "Body": body}
            },
        }
        return _task(
            "arn:aws:states:::aws-sdk:sesv2:sendEmail", parameters, SES_TRANSIENT, "Email", settings
        )

    return _branch(
        settings,
        "Email",
        "EmailFormat",
        {
            "EmailFormat": {
                "Type": "Choice",
                # html_name exists only when the snapshot Lambda ran (it does the escaping).
                "Choices": [
                    {
                        "Variable": "$.Snapshot.Payload.html_name",
                        "IsPresent": True,
                        "Next": "SendHtmlEmail",
                    }
                ],
                "Default": "SendTextEmail",
            },
            "SendHtmlEmail": send(html=True),
            "SendTextEmail": send(html=False),
        },
    )


def _sns(settings: MatchWorkflowSettings) -> dict[str, Any]:
    sns = settings.channels.sns
    assert sns is not None
    parameters = {"TopicArn": sns.topic_arn, "Subject": SNS_SUBJECT, "Message.$": TEXT_MESSAGE}
    return _branch(
        settings,
        "Sns",
        "PublishSns",
        {
            "PublishSns": _task(
                "arn:aws:states:::sns:publish", parameters, SNS_TRANSIENT, "Sns", settings
            ),
        },
    )


def _http(endpoint: str, connection_arn: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "ApiEndpoint": endpoint,
        "Method": "POST",
        "Authentication": {"ConnectionArn": connection_arn},
        "Headers": {"Content-Type": "application/json; charset=utf-8"},
        "RequestBody": body,
    }


_SLACK_BODY = "$.SlackResponse.ResponseBody"


def _slack_text_states(next_state: str) -> dict[str, State]:
    """``$.SlackText.Text``: the alert text with the name escaped for Slack's mrkdwn."""
    name = "$.Person.Name"

    def text(value: str) -> State:
        return {
            "Type": "Pass",
            "Parameters": {"Text.$": value},
            "ResultPath": "$.SlackText",
            "Next": next_state,
        }

    return {
        "SlackText": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.Snapshot.Payload.slack_name",
                    "IsPresent": True,
                    "Next": "SlackTextEscaped",
                },
                {
                    "Or": [
                        {"Variable": name, "StringMatches": "*&*"},
                        {"Variable": name, "StringMatches": "*<*"},
                        {"Variable": name, "StringMatches": "*>*"},
                    ],
                    "Next": "SlackTextWithoutName",
                },
            ],
            "Default": "SlackTextAsIs",
        },
        "SlackTextEscaped": text(SLACK_TEXT_ESCAPED),
        "SlackTextWithoutName": text(SLACK_TEXT_WITHOUT_NAME),
        # Nothing in the name Slack would read as markup.
        "SlackTextAsIs": text(TEXT_MESSAGE),
    }


def _slack(settings: MatchWorkflowSettings) -> dict[str, Any]:
    slack = settings.channels.slack
    assert slack is not None
    body = {
        "channel": slack.channel,
        "text.$": "$.SlackText.Text",
        # plain_text: Slack renders no markup and no <!channel>-style mentions from a name.
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text.$": TEXT_MESSAGE}}],
        "unfurl_links": True,
    }
    parameters = _http(slack.url, slack.connection_arn, body)
    return _branch(
        settings,
        "Slack",
        "SlackText",
        {
            **_slack_text_states("PostSlack"),
            "PostSlack": _task(
                "arn:aws:states:::http:invoke",
                parameters,
                HTTP_TRANSIENT,
                "Slack",
                settings,
                ResultPath="$.SlackResponse",
                Next="SlackAccepted",
            ),
            # Slack answers HTTP 200 with {"ok": false, "error": ...} on errors. Whether the
            # HTTP Task hands a JSON body over parsed or as a string for "application/json;
            # charset=utf-8" is not documented: a string is parsed first, and only when it
            # looks like a JSON object, because States.StringToJson failing on other text
            # would be a States.Runtime error no Catch handles (Slack's Web API answers JSON
            # objects; anything else is not an accepted message).
            "SlackAccepted": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": _SLACK_BODY, "IsString": True},
                            {"Variable": _SLACK_BODY, "StringMatches": "{*}"},
                        ],
                        "Next": "ParseSlackResponse",
                    },
                    {
                        "And": [
                            {"Variable": f"{_SLACK_BODY}.ok", "IsPresent": True},
                            {"Variable": f"{_SLACK_BODY}.ok", "IsBoolean": True},
                            {"Variable": f"{_SLACK_BODY}.ok", "BooleanEquals": True},
                        ],
                        "Next": "SlackDelivered",
                    },
                ],
                "Default": "SlackRejected",
            },
            "ParseSlackResponse": {
                "Type": "Pass",
                "Parameters": {
                    "ResponseBody.$": f"States.StringToJson({_SLACK_BODY})",
                    "StatusCode.$": "$.SlackResponse.StatusCode",
                },
                "ResultPath": "$.SlackResponse",
                "Next": "SlackAccepted",
            },
            "SlackDelivered": {
                "Type": "Pass",
                "Result": {"Channel": "slack", "Outcome": "delivered"},
                "End": True,
            },
            "SlackRejected": {
                "Type": "Pass",
                "Parameters": {
                    "Error": "Slack.NotOk",
                    "Cause.$": f"States.JsonToString({_SLACK_BODY})",
                },
                "ResultPath": "$.Failure",
                "Next": "SlackFailed",
            },
        },
    )


def _whatsapp(settings: MatchWorkflowSettings) -> dict[str, Any]:
    whatsapp = settings.channels.whatsapp
    assert whatsapp is not None
    endpoint = f"{whatsapp.base_url}/{whatsapp.api_version}/{whatsapp.phone_number_id}/messages"
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": whatsapp.recipient,
        "type": "text",
        "text": {"preview_url": True, "body.$": TEXT_MESSAGE},
    }
    return _branch(
        settings,
        "WhatsApp",
        "SendWhatsApp",
        {
            "SendWhatsApp": _task(
                "arn:aws:states:::http:invoke",
                _http(endpoint, whatsapp.connection_arn, body),
                HTTP_TRANSIENT,
                "WhatsApp",
                settings,
            ),
        },
    )


def _webhook(settings: MatchWorkflowSettings) -> dict[str, Any]:
    webhook = settings.channels.webhook
    assert webhook is not None
    body = {
        "type": "facewatch.match",
        "person.$": "$.Person.Name",
        "source.$": "$.Person.Source",
        # For people, like every channel: one decimal (the audit record keeps the exact value).
        "similarity.$": "$.Match.SimilarityRounded",
        "text.$": TEXT_MESSAGE,
        "camera.$": "$.Camera",
        "arrivalSeconds.$": "$.Now",
        "snapshotUrl.$": "$.Snapshot.Payload.url",
        "dedupe.$": "$.Dedupe.Outcome",
        "executionArn.$": "$$.Execution.Id",
    }
    return _branch(
        settings,
        "Webhook",
        "PostWebhook",
        {
            "PostWebhook": _task(
                "arn:aws:states:::http:invoke",
                _http(webhook.url, webhook.connection_arn, body),
                HTTP_TRANSIENT,
                "Webhook",
                settings,
            ),
        },
    )


def channel_branches(settings: MatchWorkflowSettings) -> list[dict[str, Any]]:
    """Only the configured channels get a branch."""
    channels = settings.channels
    builders = [
        (channels.email, _email),
        (channels.sns, _sns),
        (channels.slack, _slack),
        (channels.whatsapp, _whatsapp),
        (channels.webhook, _webhook),
    ]
    return [build(settings) for configured, build in builders if configured is not None]
