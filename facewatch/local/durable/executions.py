"""Step Functions executions and their histories, kept as moto's interpreter writes them.

Hooks (moto 5.2.5's parser backend, the one `execute_state_machine` runs):

- `StepFunctionsParserBackend.start_execution`: the new execution is marked, so its record is
  on disk before StartExecution answers;
- `ExecutionWorker._get_evaluation_environment`: tags the execution's `EventManager` (shared by
  the Map/Parallel frames of that execution) with the execution;
- `EventManager._publish_history_event`: every history event is appended as it is published
  (under moto's own mutex, so in event order);
- `BaseExecutionWorkerCommunication.terminated`: the final status, output, error and cause.

Restoring builds moto `Execution` objects that are finished: their history is served by a real
`EventManager` filled with the saved events, and they have no worker, so nothing runs again. An
execution RUNNING when the server died cannot be resumed (moto keeps no interpreter state):
when its last saved event is terminal, the status comes from that event; otherwise it comes
back ABORTED, its history ending with an `ExecutionAborted` event whose error and cause say why
(its input is kept: start it again to redo the work). Never re-running is what keeps a restart
from sending a notification twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from .hooks import Patch, Ref, backend_for, from_json, install_patches, iso, scope_of, to_json
from .store import Change, Deletion, Row, StateStore

log = logging.getLogger("facewatch.local.durable")

ABORT_ERROR = "Facewatch.LocalServerStopped"
ABORT_CAUSE = (
    "the local server stopped (crash, kill, or `local down` before it finished) while this "
    "execution ran; moto cannot resume it, so it was not run again: its input is kept, start "
    "it again to redo the work"
)
_TERMINAL = {
    "ExecutionSucceeded": ("SUCCEEDED", "executionSucceededEventDetails"),
    "ExecutionFailed": ("FAILED", "executionFailedEventDetails"),
    "ExecutionAborted": ("ABORTED", "executionAbortedEventDetails"),
    "ExecutionTimedOut": ("TIMED_OUT", "executionTimedOutEventDetails"),
}
_TAG = "_facewatch_execution"


class _FinishedWorker:
    """The worker of a restored execution: moto reads the history from `env.event_manager`
    and looks callbacks and map runs up on `env` (there are none); it never runs."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.map_run_record import (  # noqa: E501
            MapRunRecordPoolManager,
        )
        from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackPoolManager
        from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

        manager = EventManager()
        manager._history_event_list.extend(events)  # type: ignore[arg-type]
        self.env = SimpleNamespace(
            event_manager=manager,
            callback_pool_manager=CallbackPoolManager(activity_store={}),
            map_run_record_pool_manager=MapRunRecordPoolManager(),  # type: ignore[no-untyped-call]
        )

    def stop(self, stop_date: Any = None, error: Any = None, cause: Any = None) -> None:
        """Already finished: StopExecution changes nothing."""


class Executions:
    kind = "execution"

    def __init__(self) -> None:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        self.backends = stepfunctions_parser_backends

    def _ref(self, execution: Any) -> Ref:
        scope = scope_of(execution.account_id, execution.region_name)
        return self.kind, scope, execution.state_machine_arn, execution.exec_arn

    def patches(self) -> list[Patch]:
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        def started(_args: dict[str, Any], execution: Any) -> Iterable[Ref]:
            yield self._ref(execution)

        return [Patch(StepFunctionsParserBackend, "start_execution", started)]

    def install_history_hooks(
        self, store: StateStore, mark: Callable[[Ref], None]
    ) -> Callable[[], None]:
        """Hooks on the interpreter's threads: each event is written as it is published, the
        final state is `mark`ed (written at once: it happens outside any request)."""
        from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
        from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

        def tag(args: dict[str, Any], env: Any) -> Iterable[Ref]:
            communication = args["self"]._execution_communication
            setattr(env.event_manager, _TAG, getattr(communication, "execution", None))
            return ()

        def published(args: dict[str, Any], _result: Any) -> Iterable[Ref]:
            manager = args["self"]
            execution = getattr(manager, _TAG, None)
            if execution is not None:
                event = manager._history_event_list[-1]
                try:
                    store.write([], [(execution.exec_arn, int(event["id"]), to_json(event))])
                except Exception:  # never break the interpreter; the gap is logged
                    log.exception("event=durable.history_write_failed arn=%s", execution.exec_arn)
            return ()

        def terminated(args: dict[str, Any], _result: Any) -> Iterable[Ref]:
            yield self._ref(args["self"].execution)

        undo_tag = install_patches(
            [
                Patch(ExecutionWorker, "_get_evaluation_environment", tag),
                Patch(EventManager, "_publish_history_event", published),
            ],
            lambda ref: None,
        )
        undo_end = install_patches(
            [Patch(BaseExecutionWorkerCommunication, "terminated", terminated)], mark
        )

        def uninstall() -> None:
            undo_end()
            undo_tag()

        return uninstall

    def capture(self, ref: Ref, store: StateStore) -> list[Change]:
        kind, scope, machine_arn, arn = ref
        assert arn is not None
        backend = backend_for(self.backends, scope)
        try:
            execution = backend.describe_execution(arn)
        except Exception:  # deleted with its state machine
            return [Deletion(kind, scope, machine_arn, arn)]
        meta = {
            "name": execution.name,
            "status": execution.status,
            "startDate": iso(execution.start_date),
            "stopDate": iso(execution.stop_date),
            "input": execution.execution_input,
            "output": execution.output,  # a JSON value, as moto holds it
            "error": execution.error,
            "cause": execution.cause,
            "roleArn": execution.role_arn,
            "traceHeader": execution.trace_header,
        }
        return [Row(kind, scope, machine_arn, arn, to_json(meta))]

    def restore(
        self, store: StateStore, guarded: Callable[[Row, Callable[[Row], int]], int]
    ) -> int:
        """Put every saved execution back (each through `guarded`, which turns a failure into
        a logged 0); returns how many."""
        return sum(
            guarded(row, lambda r: self._restore_one(store, r)) for row in store.rows(self.kind)
        )

    def _restore_one(self, store: StateStore, row: Row) -> int:
        backend = backend_for(self.backends, row.scope)
        try:
            machine = backend.describe_state_machine(row.container)
        except Exception:
            log.warning("event=durable.skipped kind=execution machine=%s", row.container)
            return 0
        meta = from_json(row.meta)
        events = [_event(event) for event in store.events(row.key)]
        if meta["status"] == "RUNNING":
            meta = self._settle(store, row, meta, events)
        machine.executions.append(self._execution(backend, machine, row.key, meta, events))
        return 1

    def _settle(
        self, store: StateStore, row: Row, meta: dict[str, Any], events: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The final state of an execution that was RUNNING when the server died (saved, so a
        second restart finds it settled and adds nothing)."""
        last = events[-1] if events else None
        terminal = _TERMINAL.get(str(last["type"])) if last else None
        new_events: list[tuple[str, int, str]] = []
        if last is not None and terminal is not None:
            # It finished; the server died before moto recorded the status.
            status, details_key = terminal
            details = last.get(details_key, {})
            meta = {**meta, "status": status, "stopDate": iso(last["timestamp"])}
            if status == "SUCCEEDED" and details.get("output") is not None:
                meta["output"] = json.loads(details["output"])
            meta.update(error=details.get("error"), cause=details.get("cause"))
        else:
            now = datetime.now(UTC)
            last_id = int(last["id"]) if last else 0
            aborted = {
                "id": last_id + 1,
                "previousEventId": last_id,
                "type": "ExecutionAborted",
                "timestamp": now,
                "executionAbortedEventDetails": {"error": ABORT_ERROR, "cause": ABORT_CAUSE},
            }
            events.append(aborted)
            new_events.append((row.key, last_id + 1, to_json(aborted)))
            meta = {**meta, "status": "ABORTED", "stopDate": now.isoformat()}
            meta.update(error=ABORT_ERROR, cause=ABORT_CAUSE)
            log.warning("event=durable.execution_aborted arn=%s", row.key)
        store.write([Row(row.kind, row.scope, row.container, row.key, to_json(meta))], new_events)
        return meta

    @staticmethod
    def _execution(
        backend: Any, machine: Any, arn: str, meta: dict[str, Any], events: list[dict[str, Any]]
    ) -> Any:
        from moto.stepfunctions.parser.api import ExecutionStatus
        from moto.stepfunctions.parser.backend.execution import Execution

        execution = Execution(
            name=meta["name"],
            sm_type=machine.sm_type,
            role_arn=meta["roleArn"],
            exec_arn=arn,
            account_id=backend.account_id,
            region_name=backend.region_name,
            state_machine=machine,
            start_date=datetime.fromisoformat(meta["startDate"]),
            cloud_watch_logging_session=None,
            activity_store={},
            input_data=meta["input"],
            trace_header=meta["traceHeader"],
        )
        execution.exec_status = ExecutionStatus(meta["status"])
        stop = meta["stopDate"]
        execution.stop_date = _parse_date(stop) if stop else None
        execution.output = meta["output"]
        execution.error = meta["error"]
        execution.cause = meta["cause"]
        execution.exec_worker = _FinishedWorker(events)  # type: ignore[assignment]
        return execution


def _parse_date(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _event(text: str) -> dict[str, Any]:
    """A saved history event as moto holds it (its timestamp a datetime, for the serialiser)."""
    event: dict[str, Any] = from_json(text)
    event["timestamp"] = _parse_date(event["timestamp"])
    return event
