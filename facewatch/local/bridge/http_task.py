"""Run Step Functions HTTP Tasks (``arn:aws:states:::http:invoke``) under moto.

What moto lacks: moto 5.2.5's interpreter knows no ``http`` task service (its factory raises
"Unknown service 'http'") and its ASL parser refuses ``States.Http.*`` error names in
``Retry``/``Catch`` (it treats every unknown ``States.`` name as an illegal custom name).

What this adapter does, as AWS documents the HTTP Task:
- resolves ``Authentication.ConnectionArn`` in moto's EventBridge (events) backend and applies
  the connection's authorization (API key header, basic auth, or an OAuth client-credentials
  token) plus its invocation header/query/body parameters;
- sends the request (``ApiEndpoint``, ``Method``, ``Headers``, ``QueryParameters``,
  ``RequestBody``; JSON, or form-encoded with ``Transform.RequestBodyEncoding=URL_ENCODED``)
  with urllib3, or hands it to ``transport(method, url, headers, body) -> (status, headers,
  body)`` when one is given;
- returns what AWS returns: ``{"Headers": {name: [values]}, "ResponseBody": <parsed JSON, or
  text>, "StatusCode": <int>, "StatusText": <reason>}``;
- fails a non-2xx answer with ``States.Http.StatusCode.<code>`` (cause: that output as JSON),
  a network failure or timeout with ``States.Http.Socket``, and an unknown connection with
  ``Events.ConnectionResource.ResourceNotFound``, so ``Retry``/``Catch`` behave as on AWS.

Used by the tests (against a local ``http.server``) and by the local mode.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Final

import urllib3
from moto.events.models import events_backends
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (  # noqa: E501
    StateTaskService,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse import preprocessor

from facewatch.local.bridge import Installation

Transport = Callable[[str, str, Mapping[str, str], bytes], tuple[int, Mapping[str, str], bytes]]

HTTP_ERROR_PREFIX: Final = "States.Http."
_PARAMETERS: Final = {
    "ApiEndpoint",
    "Authentication",
    "Headers",
    "Method",
    "QueryParameters",
    "RequestBody",
    "Transform",
}
_TIMEOUT_SECONDS: Final = 60.0  # the HTTP Task's own limit
_lock = threading.Lock()
_pool = urllib3.PoolManager()


class HttpTaskError(Exception):
    """An error the HTTP Task reports under an AWS error name."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def _connection_auth(connection_arn: str) -> tuple[str, dict[str, Any]]:
    """(authorization type, auth parameters) of an EventBridge connection in moto."""
    parts = connection_arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("connection/"):
        raise HttpTaskError("Events.ConnectionResource.ResourceNotFound", connection_arn)
    region, account, name = parts[3], parts[4], parts[5].split("/")[1]
    connection = events_backends[account][region].connections.get(name)
    if connection is None or connection.arn != connection_arn:
        raise HttpTaskError("Events.ConnectionResource.ResourceNotFound", connection_arn)
    return connection.authorization_type, dict(connection.auth_parameters)


def _pairs(items: Any) -> dict[str, str]:
    return {str(item["Key"]): str(item["Value"]) for item in items or []}


def _oauth_token(oauth: Mapping[str, Any]) -> str:
    client = oauth.get("ClientParameters", {})
    credentials = f"{client.get('ClientID', '')}:{client.get('ClientSecret', '')}"
    fields = {"grant_type": "client_credentials"}
    fields.update(_pairs(oauth.get("OAuthHttpParameters", {}).get("BodyParameters")))
    response = _pool.request(
        oauth.get("HttpMethod", "POST"),
        oauth["AuthorizationEndpoint"],
        body=urllib.parse.urlencode(fields),
        headers={
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=_TIMEOUT_SECONDS,
    )
    if response.status >= 300:
        raise HttpTaskError("Events.ConnectionResource.AuthInvalidState", "OAuth token refused")
    return str(json.loads(response.data)["access_token"])


def _authorize(
    connection_arn: str, headers: dict[str, str], query: dict[str, str]
) -> dict[str, str]:
    """Apply the connection's credentials; returns its extra body parameters."""
    auth_type, auth = _connection_auth(connection_arn)
    if auth_type == "API_KEY":
        key = auth.get("ApiKeyAuthParameters", {})
        headers[str(key["ApiKeyName"])] = str(key["ApiKeyValue"])
    elif auth_type == "BASIC":
        basic = auth.get("BasicAuthParameters", {})
        token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif auth_type == "OAUTH_CLIENT_CREDENTIALS":
        headers["Authorization"] = "Bearer " + _oauth_token(auth.get("OAuthParameters", {}))
    invocation = auth.get("InvocationHttpParameters", {})
    headers.update(_pairs(invocation.get("HeaderParameters")))
    query.update(_pairs(invocation.get("QueryStringParameters")))
    return _pairs(invocation.get("BodyParameters"))


def _encode_body(parameters: Mapping[str, Any], extra: Mapping[str, str]) -> bytes | None:
    body = parameters.get("RequestBody")
    if extra:
        body = {**(body if isinstance(body, dict) else {}), **extra}
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    transform = parameters.get("Transform") or {}
    if transform.get("RequestBodyEncoding") == "URL_ENCODED" and isinstance(body, dict):
        return urllib.parse.urlencode(body, doseq=True).encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _urllib3_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, Mapping[str, str], bytes]:
    try:
        response = _pool.request(
            method,
            url,
            body=body or None,
            headers=dict(headers),
            timeout=_TIMEOUT_SECONDS,
            retries=False,
            redirect=True,
        )
    except urllib3.exceptions.HTTPError as error:
        raise HttpTaskError("States.Http.Socket", str(error)) from error
    return response.status, dict(response.headers), response.data


def _task_output(status: int, headers: Mapping[str, str], data: bytes) -> dict[str, Any]:
    text = data.decode("utf-8", errors="replace")
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    body: Any = text
    if "json" in content_type.lower():
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return {
        "Headers": {name.lower(): [value] for name, value in headers.items()},
        "ResponseBody": body,
        "StatusCode": status,
        "StatusText": reason,
    }


def invoke(parameters: Mapping[str, Any], transport: Transport | None = None) -> dict[str, Any]:
    """Perform one HTTP Task call and return its task output (raises `HttpTaskError`)."""
    connection_arn = (parameters.get("Authentication") or {}).get("ConnectionArn")
    if not connection_arn:
        raise HttpTaskError("States.Runtime", "an HTTP Task needs Authentication.ConnectionArn")
    headers = {str(k): str(v) for k, v in (parameters.get("Headers") or {}).items()}
    query = {str(k): str(v) for k, v in (parameters.get("QueryParameters") or {}).items()}
    extra_body = _authorize(str(connection_arn), headers, query)
    body = _encode_body(parameters, extra_body)
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json; charset=UTF-8"
    url = str(parameters["ApiEndpoint"])
    if query:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
    send = transport or _urllib3_transport
    status, response_headers, data = send(str(parameters["Method"]), url, headers, body or b"")
    output = _task_output(status, response_headers, data)
    if not 200 <= status < 300:
        raise HttpTaskError(f"States.Http.StatusCode.{status}", json.dumps(output))
    return output


def _service_class(transport: Transport | None) -> type[StateTaskService]:
    class StateTaskServiceHttp(StateTaskService):
        def _get_supported_parameters(self) -> set[str] | None:
            return set(_PARAMETERS)

        def _eval_service_task(
            self,
            env: Any,
            resource_runtime_part: Any,
            normalised_parameters: dict,
            state_credentials: Any,
        ) -> None:
            try:
                env.stack.append(invoke(normalised_parameters, transport))
            except HttpTaskError as error:
                raise FailureEventException(
                    failure_event=FailureEvent(
                        env=env,
                        error_name=ErrorName(error_name=error.error),
                        event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(
                            taskFailedEventDetails=TaskFailedEventDetails(
                                error=error.error,
                                cause=error.cause,
                                resource=self._get_sfn_resource(),
                                resourceType=self._get_sfn_resource_type(),
                            )
                        ),
                    )
                ) from error

    return StateTaskServiceHttp


def install(transport: Transport | None = None) -> Installation:
    """Make moto execute ``http:invoke`` tasks until the returned handle is called."""
    service_class = _service_class(transport)
    with _lock:
        original_factory = state_task_factory.state_task_service_for
        original_error_name = preprocessor.CustomErrorName

        def state_task_service_for(service_name: str) -> StateTaskService:
            if service_name == "http":
                return service_class()
            return original_factory(service_name)

        def error_name(error_name: str | None) -> ErrorName:
            # AWS's own HTTP Task errors are States.Http.*; moto only knows older States.* names.
            if error_name is not None and error_name.startswith(HTTP_ERROR_PREFIX):
                return ErrorName(error_name=error_name)
            return original_error_name(error_name=error_name)

        state_task_factory.state_task_service_for = state_task_service_for
        preprocessor.CustomErrorName = error_name

    def uninstall() -> None:
        with _lock:
            state_task_factory.state_task_service_for = original_factory
            preprocessor.CustomErrorName = original_error_name

    return Installation(uninstall)


# The transport that really sends (the local mode's router uses it for loopback URLs and the
# channels passed through).
send_request: Transport = _urllib3_transport
