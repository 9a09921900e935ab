"""The local mode: moto's server plus the adapters for what moto does not emulate.

`LocalMode(root).start()` (local_mode.py) runs, in this process:

- moto's server on 127.0.0.1 with Step Functions execution on (moto_plumbing.py);
- the Rekognition bridge's WSGI app in front of it, answering `RekognitionService.*`
  requests with `StreamProcessors` in front of the local face engine; starting a
  processor runs the camera agent on the camera's source (agent_runner.py);
- the HTTP Task bridge (to the capture sink, except loopback URLs and the channels in
  `http_passthrough`, sent for real: sink.py) and the Lambda task
  bridge (`handlers.snapshot` in-process; the local Pipe runs `handlers.decode` as its enrichment);
- the stack's resources (resources.py; from a stack file with `--config`, stack_config.py),
  the S3 -> EventBridge adapter (s3_events.py) and the Pipe adapter (pipe.py), both with
  the stack's retries and DLQ (delivery.py).

State across `down` / `up` and across a crash (the state folder, state.py). moto is in
memory, so everything it holds that a user evaluates the pipeline by is written through to
`state.sqlite3` before the request that changed it is answered, and put back on `up`
(durable/): audit objects and snapshots, dedupe items (a restart inside the window stays
quiet; expired ones are dropped), queue messages (DLQ, notifications), and every execution
with its full history. An execution still RUNNING when the server died (`kill -9`, or a
`down` that outwaited DRAIN_SECONDS) cannot be resumed: it comes back ABORTED with an
`ExecutionAborted` event saying why, and is never run again (no second notification).
"Who is enrolled" is the exception, with ONE source of truth: the faces bucket, copied to
`faces/` on every change (faces_store.py). Keeping both halves (collection and registry table)
would mean two stores that must agree; instead on `up` the collection is deleted and created
empty, then every saved photo is uploaded again: the indexing workflow indexes it and writes
the registry exactly as at enrolment (one face per photo, each in the registry; a new
indexing execution and outcome record per photo and `up`). Not kept: the Kinesis data stream
(a clean `down` delivers what is on it first; a crash loses records the Pipe had not yet
handed to the match workflow, at most its batching window), stream processors' state and
captured requests' order in moto (the sink's files stay on disk).

`python -m facewatch.local.server --root .facewatch --port 4566 [--config Pulumi.dev.yaml]`
runs it until SIGTERM; `facewatch local up` starts that as a detached process and records it
in `local.json` (`local down` checks the pid still runs this module before signalling it).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path

from facewatch.workflows.settings import DEFAULT_DEDUPE_WINDOW_SECONDS

from .local_mode import LocalMode
from .resources import LocalResources
from .sink import CHANNELS
from .state import SERVER_MODULE, clear_state, write_state

__all__ = ["LocalMode", "main"]

log = logging.getLogger("facewatch.local")


def resources_from_args(args: argparse.Namespace) -> LocalResources:
    cameras = dict(item.split("=", 1) for item in args.camera)
    if args.config is not None:
        from .stack_config import load_stack_file, resources_from_config

        return resources_from_config(
            load_stack_file(args.config), cameras=cameras, webhook_url=args.webhook_url
        )
    fields: dict[str, object] = {"cameras": cameras, "dedupe_window_seconds": args.dedupe_window}
    if args.webhook_url:
        from .stack_config import check_local_webhook_url

        fields["webhook_url"] = check_local_webhook_url(args.webhook_url)
    return LocalResources(**fields)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {SERVER_MODULE}")
    parser.add_argument("--root", type=Path, default=Path(".facewatch"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--camera", action="append", default=[], metavar="NAME=SOURCE")
    parser.add_argument("--config", type=Path, default=None, metavar="PULUMI_STACK_YAML")
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument(
        "--http-passthrough", action="append", default=[], choices=CHANNELS, metavar="CHANNEL"
    )
    parser.add_argument("--dedupe-window", type=int, default=DEFAULT_DEDUPE_WINDOW_SECONDS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    local = LocalMode(
        args.root,
        port=args.port,
        resources=resources_from_args(args),
        http_passthrough=args.http_passthrough,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    local.start()
    write_state(args.root, {**local.describe(), "pid": os.getpid(), "ready": True})
    log.info("event=local.ready endpoint=%s", local.endpoint_url)
    try:
        stopping.wait()
    finally:
        local.stop()
        clear_state(args.root)


if __name__ == "__main__":
    main()
