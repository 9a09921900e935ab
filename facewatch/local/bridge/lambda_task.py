"""Run ``arn:aws:states:::lambda:invoke`` tasks of known functions in-process under moto.

What moto lacks: its Step Functions interpreter sends ``lambda:invoke`` to moto's Lambda,
which runs function code in docker (absent on CI machines and in the local mode).

What this adapter does: it wraps moto's ``lambda_eval_utils._invoke_lambda_function`` (the one
call every ``lambda:invoke`` task goes through). When the task's ``FunctionName`` -- a name,
or an ARN whose function-name segment -- is a key of ``handlers``, the Python handler runs
in-process with the task's Payload and a small context object; its return value becomes the
task's ``Payload`` exactly as Lambda returns it (``StatusCode`` 200, ``ExecutedVersion``
``$LATEST``). An exception becomes a function error (``FunctionError: Unhandled`` and a
payload with ``errorType``/``errorMessage``), which Step Functions reports under the
exception's class name, as AWS does for Python functions. Other functions go to moto as before.

Used by the tests and by the local mode (``facewatch local``).
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

from facewatch.local.bridge import Installation

Handler = Callable[[dict[str, Any], Any], Any]

_lock = threading.Lock()


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object handlers commonly read."""

    function_name: str
    aws_request_id: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 128

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def function_name_of(function_name_or_arn: str) -> str:
    """``my-fn``, ``arn:aws:lambda:r:a:function:my-fn`` and ``...:my-fn:alias`` give ``my-fn``."""
    if function_name_or_arn.startswith("arn:"):
        return function_name_or_arn.split(":")[6]
    return function_name_or_arn.split(":")[0]


def _invoke(handler: Handler, parameters: Mapping[str, Any], name: str) -> dict[str, Any]:
    raw = parameters.get("Payload") or b"{}"
    event = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    context = LambdaContext(
        function_name=name,
        aws_request_id=str(uuid.uuid4()),
        invoked_function_arn=str(parameters["FunctionName"]),
    )
    try:
        # Round-trip through JSON, as Lambda serialises the return value.
        payload = json.loads(json.dumps(handler(event, context)))
    except Exception as error:  # the handler's failure is the function's error payload
        return {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "ExecutedVersion": "$LATEST",
            "Payload": {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_exception(error),
            },
        }
    return {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": payload}


def install(handlers: Mapping[str, Handler]) -> Installation:
    """Route ``lambda:invoke`` of the named functions to ``handlers`` until uninstalled."""
    known = dict(handlers)
    with _lock:
        original = lambda_eval_utils._invoke_lambda_function

        def invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
            name = function_name_of(str(parameters.get("FunctionName", "")))
            if name in known:
                return _invoke(known[name], parameters, name)
            return original(
                parameters=parameters, region=region, state_credentials=state_credentials
            )

        lambda_eval_utils._invoke_lambda_function = invoke

    def uninstall() -> None:
        with _lock:
            lambda_eval_utils._invoke_lambda_function = original

    return Installation(uninstall)
