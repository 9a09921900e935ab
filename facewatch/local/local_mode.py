"""`LocalMode`: one local AWS endpoint with the whole facewatch pipeline behind it.

See server.py for what runs and how state survives `down`/`up`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from facewatch.workflows.records import processor_name

from . import moto_plumbing
from .agent_runner import AgentRunner
from .delivery import DeadLetters
from .durable import DurableState
from .faces_store import FacesStore
from .persistence import import_legacy_dedupe, reset_collection
from .pipe import KinesisPipe
from .resources import LOCAL_ACCOUNT, LocalResources
from .resources_deploy import create_resources
from .s3_events import S3EventBridge
from .sink import CaptureSink, ChannelRouter
from .state import StatePaths
from .stream_processors import StreamProcessors

log = logging.getLogger("facewatch.local")
# How long `down` lets running executions finish (the CLI's `local down` waits 30 s in all);
# one still running after that comes back ABORTED at the next `up` (durable/executions.py).
DRAIN_SECONDS = 20.0

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


class LocalMode:
    """One local AWS endpoint with the whole facewatch pipeline behind it."""

    def __init__(
        self,
        root: Path,
        *,
        port: int = 0,
        resources: LocalResources | None = None,
        http_passthrough: Collection[str] = (),
        agent_fps: float = 5.0,
        pipe_poll_interval: float = 0.1,
        realtime: bool = False,
    ) -> None:
        self.paths = StatePaths(Path(root).resolve())
        self.requested_port = port
        self.resources = resources or LocalResources()
        # Channels whose HTTP Tasks are sent for real (loopback URLs always are): sink.py.
        self.http_passthrough = tuple(http_passthrough)
        self.agent_fps = agent_fps
        self.pipe_poll_interval = pipe_poll_interval
        self.realtime = realtime
        self.port = 0
        self.endpoint_url = ""
        self.engine: Any = None
        self.processors: StreamProcessors | None = None
        self.runner: AgentRunner | None = None
        self.pipe: KinesisPipe | None = None
        self.s3_events: S3EventBridge | None = None
        self.durable: DurableState | None = None
        self.sink: CaptureSink | None = None
        self.definitions: dict[str, Any] = {}
        self._undo: list[Callable[[], None]] = []
        self._clients: dict[str, Any] = {}

    @property
    def agent_summaries(self) -> dict[str, Any]:
        return self.runner.summaries if self.runner is not None else {}

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
        from facewatch.engine import FaceEngine

        from .bridge import rekognition

        self.paths.ensure()
        resources = self.resources
        self._undo.append(moto_plumbing.configure_moto())
        self.engine = FaceEngine(
            self.paths.engine, region=resources.region, account_id=LOCAL_ACCOUNT
        )
        self.runner = AgentRunner(
            client=self.client,
            engine=self.engine,
            resources=resources,
            fps=self.agent_fps,
            realtime=self.realtime,
        )
        self.processors = StreamProcessors(
            self.engine,
            launch=self.runner.run,
            sources=resources.cameras,
            region=resources.region,
            account=LOCAL_ACCOUNT,
        )
        # Rekognition requests to the bridge (stream processors, then the engine); the rest
        # to moto; outermost, what a request changed is written to disk before it is answered.
        self.durable = DurableState(self.paths.store, include=self._kept)
        self._undo.append(self.durable.store.close)  # when start-up fails before the restore
        app = self.durable.middleware(
            rekognition.wsgi_app(self.processors, fallback=moto_plumbing.moto_app())
        )
        self.port, shutdown = moto_plumbing.serve(app, self.requested_port)
        self._undo.append(shutdown)
        self.endpoint_url = f"http://{moto_plumbing.HOST}:{self.port}"
        # The engine reads S3Object images (IndexFaces from the indexing workflow) here.
        self.engine.s3_client = self.client("s3")
        self._undo.append(
            moto_plumbing.set_env(
                {
                    "MOTO_PORT": str(self.port),
                    # handlers/ create their boto3 clients from the environment.
                    "AWS_ENDPOINT_URL": self.endpoint_url,
                    "AWS_DEFAULT_REGION": resources.region,
                    "AWS_REGION": resources.region,
                    "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
                    "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
                }
            )
        )
        self.sink = CaptureSink(self.paths.sink)
        from .bridge import http_task

        router = ChannelRouter(self.sink, http_task.send_request, self.http_passthrough)
        self._undo.extend(
            moto_plumbing.install_task_bridges(
                # The decode Lambda is the Pipe's enrichment: `_make_pipe` runs it.
                {
                    resources.snapshot_function: "facewatch.handlers.snapshot",
                    resources.object_key_function: "facewatch.handlers.object_key",
                },
                router,
            )
        )
        self.definitions = create_resources(resources, self.clients(), self.endpoint_url)
        self._restore_durable()
        # Emptied, then rebuilt from the saved photos with the registry (see server.py).
        reset_collection(self.engine, resources.collection_id)
        self._create_processors()
        self._start_s3_events()
        # At `down`, once the Pipe delivered what was on the stream: let the executions finish
        # (they need the task bridges and the S3 events) before the state is closed.
        self._undo.append(lambda: self._drain(DRAIN_SECONDS))
        store = FacesStore(self.paths.faces)
        restored = store.restore(self.client("s3"), resources.faces_bucket)
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
    def _dead_letters(self) -> DeadLetters:
        url = self.resources.queue_url(self.endpoint_url, self.resources.dead_letter_queue)
        return DeadLetters(self.client("sqs"), url)

    def _kept(self, kind: str, container: str) -> bool:
        """What the durable state keeps: all but the enrolment state, rebuilt from `faces/`
        (the faces bucket and the registry table; see server.py)."""
        if kind == "s3":
            return container != self.resources.faces_bucket
        if kind == "dynamodb":
            return container != self.resources.registry_table
        return True

    def _restore_durable(self) -> None:
        assert self.durable is not None
        counts = self.durable.restore()
        self._undo.append(self.durable.close)
        log.info(
            "event=local.state_restored %s",
            " ".join(f"{kind}={count}" for kind, count in counts.items()),
        )
        legacy = import_legacy_dedupe(
            self.client("dynamodb"), self.resources.dedupe_table, self.paths.legacy_dedupe
        )
        if legacy is not None:
            log.info("event=local.legacy_dedupe_imported items=%d", legacy)

    def _drain(self, timeout: float) -> None:
        if not self.wait_idle(timeout):
            log.warning(
                "event=local.drain_timeout seconds=%s (executions still running come back "
                "ABORTED at the next up)",
                timeout,
            )

    def _start_s3_events(self) -> None:
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
            dead_letters=self._dead_letters(),
        ).install()
        self._undo.append(self.s3_events.uninstall)

    def _create_processors(self) -> None:
        rekognition = self.client("rekognition")
        for camera in self.resources.cameras:
            rekognition.create_stream_processor(
                Name=processor_name(camera),
                Input={"KinesisVideoStream": {"Arn": self.resources.video_stream_arn(camera)}},
                Output={"KinesisDataStream": {"Arn": self.resources.data_stream_arn}},
                Settings={
                    "FaceSearch": {
                        "CollectionId": self.resources.collection_id,
                        "FaceMatchThreshold": self.resources.face_match_threshold,
                    }
                },
                RoleArn=self.resources.role_arn,
            )

    def _make_pipe(self) -> KinesisPipe:
        from facewatch.workflows.pipe_filter import filter_criteria

        from .pipe import decode_enrichment, patterns_from_filter_criteria

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
            enrichment=decode_enrichment(
                self.client("s3"),
                audit_bucket=self.resources.audit_bucket,
                unknown_face_alerts=self.resources.unknown_face_alerts,
            ),
            dead_letters=self._dead_letters(),
            poll_interval=self.pipe_poll_interval,
        )

    # -- clients ---------------------------------------------------------------------
    def client(self, service: str) -> Any:
        if service not in self._clients:
            from facewatch.aws_clients import client

            self._clients[service] = client(
                service, region=self.resources.region, endpoint_url=self.endpoint_url, retries=3
            )
        return self._clients[service]

    def clients(self) -> dict[str, Any]:
        return {service: self.client(service) for service in SERVICES}

    def describe(self) -> dict[str, Any]:
        return {**self.resources.describe(self.endpoint_url), "port": self.port}

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until every S3 event is forwarded, the Pipe holds no buffered record and no
        execution is running."""
        deadline = time.monotonic() + timeout
        if self.s3_events is not None:
            self.s3_events.wait_idle(timeout)
        sfn = self.client("stepfunctions")
        while time.monotonic() < deadline:
            running = self.pipe.pending if self.pipe is not None else 0
            for name in (self.resources.match_state_machine, self.resources.indexing_state_machine):
                arn = self.resources.state_machine_arn(name)
                running += len(
                    sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
                )
            if not running:
                return True
            time.sleep(0.1)
        return False
