"""Adapter: answer Amazon Rekognition calls with a Python backend while moto is active.

moto 5.2.5 implements no Rekognition collections (no IndexFaces, SearchFaces*, DeleteFaces),
yet the indexing and match workflows call them through Step Functions ``aws-sdk`` tasks, which
moto runs with boto3. ``install(backend)`` puts a hook in front of moto's botocore stubber (the
``before-send`` handler every boto3 client gets under ``mock_aws``): a request whose
``X-Amz-Target`` is ``RekognitionService.<Operation>`` is answered by
``backend.<operation_in_snake_case>(**boto3_kwargs)``; every other request goes to moto as
before. ``wsgi_app(backend)`` answers the same requests for a moto server (local mode).

The backend is any object with boto3-style methods (``index_faces(CollectionId=..., ...)``)
returning boto3-shaped dicts, such as ``facewatch.engine.FaceEngine`` or the tests' fake.
Errors it raises with a ``code`` attribute (``facewatch.engine.errors.RekognitionError`` and
its subclasses; matched by duck typing, so this module does not depend on the engine) become
Rekognition error responses (``{"__type": code, "message": ...}``, HTTP 400): botocore then
raises ``ClientError`` with that code and Step Functions reports ``Rekognition.<Code>``
(moto spells it ``rekognition.<Code>``). Operations the backend lacks fall through to moto's
own Rekognition mock.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from . import Installation

log = logging.getLogger("facewatch.local.bridge.rekognition")

TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")

Response = tuple[int, dict[str, str], bytes]


def method_name(operation: str) -> str:
    """``SearchFacesByImage`` -> ``search_faces_by_image`` (boto3's method names)."""
    return _CAMEL.sub("_", operation).lower()


@cache
def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("rekognition")


def _decode_blobs(value: Any, shape: Any) -> Any:
    """Turn the JSON protocol's base64 blobs back into bytes, as boto3 callers pass them."""
    if shape is None:
        return value
    if shape.type_name == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _decode_blobs(v, shape.members.get(k)) for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_decode_blobs(v, shape.member) for v in value]
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot encode {type(value).__name__} in a Rekognition response")


def _reply(status: int, document: dict[str, Any]) -> Response:
    headers = {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": str(uuid.uuid4())}
    return status, headers, json.dumps(document, default=_encode).encode("utf-8")


def handles(backend: Any, target: str) -> bool:
    """Whether ``backend`` answers this ``X-Amz-Target`` (else moto should)."""
    if not target.startswith(TARGET_PREFIX):
        return False
    return callable(getattr(backend, method_name(target[len(TARGET_PREFIX) :]), None))


def answer(backend: Any, target: str, body: bytes | str | None) -> Response:
    """Answer one Rekognition JSON-protocol request with ``backend``: (status, headers, body)."""
    operation = target[len(TARGET_PREFIX) :]
    method = getattr(backend, method_name(operation))
    try:
        params = json.loads(body or b"{}")
        input_shape = _service_model().operation_model(operation).input_shape
        result = method(**_decode_blobs(params, input_shape))
    except TypeError as error:  # an unknown parameter name, as AWS would reject it
        return _reply(400, {"__type": "InvalidParameterException", "message": str(error)})
    except Exception as error:
        code = getattr(error, "code", None)
        if isinstance(code, str) and code:
            message = getattr(error, "message", None) or str(error)
            return _reply(400, {"__type": code, "message": message})
        log.exception("rekognition backend failed on %s", operation)
        return _reply(500, {"__type": "InternalServerError", "message": repr(error)})
    return _reply(200, dict(result or {}))


def _header(headers: Any, name: str) -> str:
    value = headers.get(name) or ""
    return value.decode() if isinstance(value, bytes) else str(value)


def install(backend: Any) -> Installation:
    """Route Rekognition requests made through botocore under ``mock_aws`` to ``backend``.

    Covers test code's boto3 clients and moto's Step Functions ``aws-sdk`` tasks alike, since
    both go through moto's botocore stubber. Returns an `Installation` that restores moto.
    """
    from moto.core.models import botocore_stubber

    previous: Any = botocore_stubber.process_request

    def process_request(request: Any) -> Any:
        target = _header(request.headers, "X-Amz-Target")
        if handles(backend, target):
            return answer(backend, target, request.body)
        return previous(request)

    botocore_stubber.process_request = process_request  # type: ignore[method-assign]

    def uninstall() -> None:
        botocore_stubber.process_request = previous  # type: ignore[method-assign]

    return Installation(uninstall)


def wsgi_app(backend: Any, fallback: Any = None) -> Callable[[dict[str, Any], Any], list[bytes]]:
    """A WSGI app answering Rekognition requests with ``backend`` (others go to ``fallback``)."""
    reasons = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not handles(backend, target):
            if fallback is not None:
                return fallback(environ, start_response)  # type: ignore[no-any-return]
            status, headers, body = _reply(
                400, {"__type": "UnknownOperationException", "message": f"{target!r}"}
            )
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            status, headers, body = answer(backend, target, raw)
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} {reasons.get(status, 'Error')}", list(headers.items()))
        return [body]

    return app
