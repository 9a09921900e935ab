"""moto's server and the in-process task bridges, each step returning how to undo it.

- `configure_moto`: Step Functions execution on (`execute_state_machine`, the server-mode
  equivalent of `mock_aws(config=...)`: moto reads `moto.core.config.default_user_config`);
- `set_env`: `MOTO_PORT` (moto's interpreter sends aws-sdk task calls to
  `http://localhost:$MOTO_PORT`) and the endpoint for `handlers/`' boto3 clients;
- `serve`: werkzeug, threaded, as `ThreadedMotoServer` does, with `app` in front;
- `install_task_bridges`: HTTP Task (capture sink unless passthrough) and Lambda tasks
  (`handlers.snapshot` in-process; `handlers.decode` is the local Pipe's enrichment).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("facewatch.local")

HOST = "127.0.0.1"
Undo = Callable[[], None]


def configure_moto() -> Undo:
    from moto.core.config import default_user_config

    previous = dict(default_user_config.get("stepfunctions", {}))
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    return lambda: default_user_config.__setitem__("stepfunctions", previous)


def reload_handlers() -> None:
    """handlers/ build boto3 clients at import from the environment: rebuild them after
    the local mode changes (or restores) AWS_ENDPOINT_URL, so they never talk to AWS."""
    for name in [m for m in sys.modules if m.startswith("facewatch.handlers.")]:
        try:
            importlib.reload(sys.modules[name])
        except Exception as error:  # e.g. no region once the local mode's env is gone
            log.debug("event=local.handler_reload_failed module=%s error=%s", name, error)


def set_env(values: dict[str, str]) -> Undo:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    reload_handlers()

    def restore() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reload_handlers()

    return restore


def reset_moto() -> None:
    """Drop every resource moto holds, so the next start (or a test's mock_aws) is clean."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def moto_app() -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def serve(app: Any, port: int) -> tuple[int, Undo]:
    """Serve `app` on 127.0.0.1:`port` (0 = any free port) on a thread; returns the port."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    # werkzeug logs every request at INFO: far too chatty for a pipeline.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="facewatch-moto", daemon=True)
    thread.start()

    def shutdown() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        reset_moto()

    return int(server.server_address[1]), shutdown


def install_task_bridges(lambda_handlers: dict[str, str], http_transport: Any | None) -> list[Undo]:
    """Lambda tasks run the named `handlers/` modules in-process; HTTP Tasks go to
    `http_transport` (the capture sink), or for real when it is None."""
    from facewatch.local.bridge import http_task, lambda_task

    handlers = {
        function: importlib.import_module(module).lambda_handler
        for function, module in lambda_handlers.items()
    }
    return [lambda_task.install(handlers), http_task.install(http_transport)]
