"""The local mode: moto's server plus the adapters for what moto does not emulate.

`LocalMode(root).start()` runs, in this process:

- moto's server on 127.0.0.1 (werkzeug, threaded, as `ThreadedMotoServer` does), with
  Step Functions execution switched on (`execute_state_machine`, the server-mode
  equivalent of `mock_aws(config=...)`: moto reads `moto.core.config.default_user_config`)
  and `MOTO_PORT` set, because moto's interpreter sends its aws-sdk task calls to
  `http://localhost:$MOTO_PORT`;
- the Rekognition bridge's WSGI app in front of it, answering `RekognitionService.*`
  requests with `StreamProcessors` in front of the local face engine;
- the HTTP Task bridge (to the capture sink unless `http_passthrough`) and the Lambda task
  bridge (`handlers.snapshot` and `handlers.decode` in-process);
- the stack's resources (`resources.py`), the S3 -> EventBridge adapter (`s3_events.py`),
  the photos kept in the state folder re-uploaded (`faces_store.py`) and the Pipe
  adapter (`pipe.py`).

`python -m facewatch.local.server --root .facewatch --port 4566` runs it until SIGTERM;
`facewatch local up` starts that as a detached process and records it in `local.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .faces_store import FacesStore
from .pipe import KinesisPipe
from .resources import LOCAL_ACCOUNT, LocalResources, create_resources
from .s3_events import S3EventBridge
from .sink import CaptureSink
from .state import StatePaths, clear_state, write_state
from .stream_processors import StreamProcessor, StreamProcessors

log = logging.getLogger("facewatch.local")

HOST = "127.0.0.1"
SERVICES = (
    "s3",
    "dynamodb",
    "kinesis",
    "sqs",
    "sns",
    "ses",
    "sesv2",
    "events",
    "iam",
    "stepfunctions",
    "rekognition",
    "sts",
)
# The processor name the stack gives each camera's stream processor.
PROCESSOR_PREFIX = "facewatch-"


def processor_name(camera: str) -> str:
    return f"{PROCESSOR_PREFIX}{camera}"


def _stoppable(
    frames: Iterable[Any], stop: threading.Event, *, realtime: bool = False
) -> Iterator[Any]:
    """Frames until `stop`; with `realtime`, each frame waits for its producer time, so a
    file plays like a live camera (the agent otherwise reads files as fast as it can)."""
    for frame in frames:
        if realtime:
            stop.wait(max(0.0, frame.epoch - time.time()))
        if stop.is_set():
            return
        yield frame


class LocalMode:
    """One local AWS endpoint with the whole facewatch pipeline behind it."""

    def __init__(
        self,
        root: Path,
        *,
        port: int = 0,
        resources: LocalResources | None = None,
        http_passthrough: bool = False,
        agent_fps: float = 5.0,
        pipe_poll_interval: float = 0.1,
        realtime: bool = False,
    ) -> None:
        self.paths = StatePaths(Path(root).resolve())
        self.requested_port = port
        self.resources = resources or LocalResources()
        self.http_passthrough = http_passthrough
        self.agent_fps = agent_fps
        self.pipe_poll_interval = pipe_poll_interval
        self.realtime = realtime
        self.port = 0
        self.endpoint_url = ""
        self.engine: Any = None
        self.processors: StreamProcessors | None = None
        self.pipe: KinesisPipe | None = None
        self.s3_events: S3EventBridge | None = None
        self.sink: CaptureSink | None = None
        self.definitions: dict[str, Any] = {}
        self.agent_summaries: dict[str, Any] = {}
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._undo: list[Callable[[], None]] = []
        self._clients: dict[str, Any] = {}

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self) -> LocalMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalMode:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.paths.ensure()
        self._configure_moto()
        self._start_server()
        self._set_env(
            {
                "MOTO_PORT": str(self.port),
                # handlers/ create their boto3 clients from the environment.
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_DEFAULT_REGION": self.resources.region,
                "AWS_REGION": self.resources.region,
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
            }
        )
        self._install_task_bridges()
        self.definitions = create_resources(self.resources, self.clients(), self.endpoint_url)
        self._ensure_collection()
        self._create_processors()
        store = FacesStore(self.paths.faces)
        self.s3_events = S3EventBridge(
            stepfunctions=self.client("stepfunctions"),
            state_machine_arn=self.resources.state_machine_arn(
                self.resources.indexing_state_machine
            ),
            buckets=[self.resources.faces_bucket],
            region=self.resources.region,
            account=LOCAL_ACCOUNT,
            on_change=lambda kind, bucket, key: store.mirror(self.client("s3"), bucket, kind, key),
        ).install()
        self._undo.append(self.s3_events.uninstall)
        restored = store.restore(self.client("s3"), self.resources.faces_bucket)
        if restored:
            # Ready means enrolled people are searchable again: wait for their indexing.
            self.wait_idle(120)
            log.info("event=local.faces_restored count=%d", restored)
        self.pipe = self._make_pipe()
        self.pipe.start()
        self._undo.append(self.pipe.stop)

    def stop(self) -> None:
        if self.processors is not None:
            self.processors.stop_all()
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception:
                log.exception("event=local.stop_step_failed")

    # -- pieces --------------------------------------------------------------------
    def _configure_moto(self) -> None:
        from moto.core.config import default_user_config

        previous = dict(default_user_config.get("stepfunctions", {}))
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        self._undo.append(lambda: default_user_config.__setitem__("stepfunctions", previous))

    def _set_env(self, values: dict[str, str]) -> None:
        saved = {key: os.environ.get(key) for key in values}
        os.environ.update(values)

        def restore() -> None:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            _reload_handlers()

        self._undo.append(restore)
        _reload_handlers()

    def _start_server(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from facewatch.engine import FaceEngine

        from .bridge import rekognition

        # werkzeug logs every request at INFO: far too chatty for a pipeline.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.engine = FaceEngine(
            self.paths.engine, region=self.resources.region, account_id=LOCAL_ACCOUNT
        )
        self.processors = StreamProcessors(
            self.engine,
            launch=self._run_agent,
            sources=self.resources.cameras,
            region=self.resources.region,
            account=LOCAL_ACCOUNT,
        )
        # Rekognition requests to the bridge (stream processors, then the engine); the rest
        # to moto.
        app = rekognition.wsgi_app(
            self.processors, fallback=DomainDispatcherApplication(create_backend_app)
        )
        self._server = make_server(
            HOST, self.requested_port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.port = int(self._server.server_address[1])
        self.endpoint_url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="facewatch-moto", daemon=True
        )
        self._thread.start()
        # The engine reads S3Object images (IndexFaces from the indexing workflow) here.
        self.engine.s3_client = self.client("s3")

        def shutdown() -> None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=10)

        self._undo.append(shutdown)
        self._undo.append(_reset_moto)

    def _install_task_bridges(self) -> None:
        from facewatch.local.bridge import http_task, lambda_task

        # The stack's two functions, each with its own handler module (as deployed).
        snapshot = importlib.import_module("handlers.snapshot")
        decode = importlib.import_module("handlers.decode")
        self._undo.append(
            lambda_task.install(
                {
                    self.resources.snapshot_function: snapshot.lambda_handler,
                    self.resources.decode_function: decode.lambda_handler,
                }
            )
        )
        self.sink = CaptureSink(self.paths.sink)
        self._undo.append(http_task.install(None if self.http_passthrough else self.sink))

    def _ensure_collection(self) -> None:
        from facewatch.engine.errors import ResourceAlreadyExistsException

        with contextlib.suppress(ResourceAlreadyExistsException):  # kept on disk from before
            self.engine.create_collection(CollectionId=self.resources.collection_id)

    def _create_processors(self) -> None:
        rekognition = self.client("rekognition")
        for camera in self.resources.cameras:
            rekognition.create_stream_processor(
                Name=processor_name(camera),
                Input={"KinesisVideoStream": {"Arn": self.video_stream_arn(camera)}},
                Output={"KinesisDataStream": {"Arn": self.resources.data_stream_arn}},
                Settings={
                    "FaceSearch": {
                        "CollectionId": self.resources.collection_id,
                        "FaceMatchThreshold": 80.0,
                    }
                },
                RoleArn=self.resources.role_arn,
            )

    def video_stream_arn(self, camera: str) -> str:
        """The Kinesis video stream ARN the stack would give this camera's stream."""
        region = self.resources.region
        return f"arn:aws:kinesisvideo:{region}:{LOCAL_ACCOUNT}:stream/{camera}/local"

    def _make_pipe(self) -> KinesisPipe:
        from workflows.pipe_filter import filter_criteria

        from .pipe import patterns_from_filter_criteria

        return KinesisPipe(
            kinesis=self.client("kinesis"),
            stepfunctions=self.client("stepfunctions"),
            stream_name=self.resources.data_stream,
            state_machine_arn=self.resources.state_machine_arn(self.resources.match_state_machine),
            region=self.resources.region,
            role_arn=self.resources.pipe_role_arn,
            patterns=patterns_from_filter_criteria(
                filter_criteria(self.resources.unknown_face_alerts)
            ),
            poll_interval=self.pipe_poll_interval,
        )

    def _run_agent(self, processor: StreamProcessor, source: str, stop: threading.Event) -> None:
        from facewatch.agent import AgentConfig, KinesisSink, SnapshotUploader, run
        from facewatch.agent.source import VideoSource

        config = AgentConfig(
            camera=processor.camera,
            source=source,
            collection_id=processor.collection_id,
            stream_arn=processor.input["KinesisVideoStream"]["Arn"],
            fps=self.agent_fps,
            threshold=processor.threshold,
        )
        frames = VideoSource(source, fps=config.fps, reconnect=config.reconnect).frames()
        sink = KinesisSink(
            self.client("kinesis"), processor.data_stream_arn.rsplit("/", 1)[1], linger=0.2
        )
        uploader = SnapshotUploader(
            self.client("s3"), self.resources.audit_bucket, processor.camera
        )
        summary = run(
            config,
            self.engine,
            sink,
            uploader,
            frames=_stoppable(frames, stop, realtime=self.realtime),
        )
        self.agent_summaries[processor.name] = summary

    # -- clients ---------------------------------------------------------------------
    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.session.Session().client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint_url,
                region_name=self.resources.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(retries={"mode": "standard", "max_attempts": 3}),
            )
        return self._clients[service]

    def clients(self) -> dict[str, Any]:
        return {service: self.client(service) for service in SERVICES}

    def describe(self) -> dict[str, Any]:
        return {**self.resources.describe(self.endpoint_url), "port": self.port}

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until every S3 event is forwarded and no execution is running."""
        deadline = time.monotonic() + timeout
        if self.s3_events is not None:
            self.s3_events.wait_idle(timeout)
        sfn = self.client("stepfunctions")
        while time.monotonic() < deadline:
            running = 0
            for name in (self.resources.match_state_machine, self.resources.indexing_state_machine):
                arn = self.resources.state_machine_arn(name)
                running += len(
                    sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
                )
            if not running:
                return True
            time.sleep(0.1)
        return False


def _reload_handlers() -> None:
    """handlers/ build boto3 clients at import from the environment: rebuild them after
    the local mode changes (or restores) AWS_ENDPOINT_URL, so they never talk to AWS."""
    for name in [m for m in sys.modules if m.startswith("handlers.")]:
        try:
            importlib.reload(sys.modules[name])
        except Exception as error:  # e.g. no region once the local mode's env is gone
            log.debug("event=local.handler_reload_failed module=%s error=%s", name, error)


def _reset_moto() -> None:
    """Drop every resource moto holds, so the next start (or a test's mock_aws) is clean."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m facewatch.local.server")
    parser.add_argument("--root", type=Path, default=Path(".facewatch"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--camera", action="append", default=[], metavar="NAME=SOURCE")
    parser.add_argument("--http-passthrough", action="store_true")
    parser.add_argument("--dedupe-window", type=int, default=300)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cameras = dict(item.split("=", 1) for item in args.camera)
    local = LocalMode(
        args.root,
        port=args.port,
        resources=LocalResources(cameras=cameras, dedupe_window_seconds=args.dedupe_window),
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
