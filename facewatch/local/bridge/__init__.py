"""Adapters that make moto 5.2.5's Step Functions interpreter run what it lacks.

moto executes state machines (``mock_aws(config={"stepfunctions": {"execute_state_machine":
True}})``) but has no HTTP Task (``arn:aws:states:::http:invoke``), runs ``lambda:invoke``
through its docker-based Lambda, and implements no Rekognition collections. The modules here
hook into moto's interpreter at the narrowest point that fixes each gap, so the very
definitions deployed to AWS run unchanged in the tests and in the local mode:

- `http_task.install(transport=None)`: executes HTTP Tasks with the EventBridge connection's
  credentials from moto's events backend and a real HTTP request (urllib3);
- `lambda_task.install(handlers)`: runs ``lambda:invoke`` of known functions in-process;
- `rekognition.install(backend)`: answers Rekognition calls (owned by the indexing workflow).

Each ``install`` returns an `Installation`: call it (or leave its ``with`` block) to restore
moto's original behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType


class Installation:
    """Undo handle returned by every adapter's ``install``; also a context manager."""

    def __init__(self, uninstall: Callable[[], None]) -> None:
        self._uninstall: Callable[[], None] | None = uninstall

    def __call__(self) -> None:
        if self._uninstall is not None:
            self._uninstall()
            self._uninstall = None

    def __enter__(self) -> Installation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self()
