"""The local mode's state folder (default `.facewatch/`).

Everything the local mode keeps between `down` and `up` lives here:

    .facewatch/
      local.json        the running instance: pid, port, endpoint, resource names
      engine/           the local face engine's collections; the collection is emptied
                        on `up` and rebuilt from faces/ (see server.py)
      faces/            a copy of every faces-bucket object with its tags, re-uploaded
                        on `up` (moto is in memory) so the indexing workflow rebuilds
                        the collection and the registry together
      state.sqlite3     what moto holds in memory, written through at each change and
                        put back on `up` (durable/): audit objects and snapshots, dedupe
                        items, queue messages (DLQ, notifications), executions with their
                        histories; it survives `down` and a crash (`kill -9`). SQLite's
                        state.sqlite3-wal/-shm beside it hold the latest writes: keep them
      sink/             what Slack, WhatsApp and the webhook would have received
      server.log        the background server's log
      launch.json       the options `local up` started the server with: a second `up`
                        with other options is refused instead of silently ignored
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path(".facewatch")
STATE_FILE = "local.json"
STORE_FILE = "state.sqlite3"
LAUNCH_FILE = "launch.json"


@dataclass(frozen=True)
class StatePaths:
    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / STATE_FILE

    @property
    def engine(self) -> Path:
        return self.root / "engine"

    @property
    def faces(self) -> Path:
        return self.root / "faces"

    @property
    def store(self) -> Path:
        return self.root / STORE_FILE

    @property
    def legacy_dedupe(self) -> Path:
        """Where earlier versions saved the dedupe table (imported once: persistence.py)."""
        return self.root / "dedupe.json"

    @property
    def sink(self) -> Path:
        return self.root / "sink"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def ensure(self) -> StatePaths:
        for folder in (self.root, self.engine, self.faces, self.sink):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def default_root() -> Path:
    """`$FACEWATCH_HOME` when set, else `.facewatch/` in the current directory."""
    return Path(os.environ.get("FACEWATCH_HOME", DEFAULT_ROOT))


def read_state(root: Path) -> dict[str, Any] | None:
    """The running instance's record, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_state(root: Path, state: dict[str, Any]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(root / STATE_FILE)


def write_launch(root: Path, arguments: list[str]) -> None:
    """Record the server arguments `local up` starts it with (compared by the next `up`)."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"{LAUNCH_FILE}.tmp"
    tmp.write_text(json.dumps(arguments), encoding="utf-8")
    tmp.replace(root / LAUNCH_FILE)


def read_launch(root: Path) -> list[str] | None:
    """The arguments of the running server's `local up`, or None when unknown."""
    try:
        data = json.loads((root / LAUNCH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return [str(item) for item in data] if isinstance(data, list) else None


def clear_state(root: Path) -> None:
    (root / STATE_FILE).unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    # Reap it first if it is our own exited child (a zombie still answers kill(pid, 0)):
    # the case when `local up` ran in a process that lives on, such as the tests.
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: the kill probe below decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# What `local down` looks for in /proc/<pid>/cmdline before it signals a recorded pid.
SERVER_MODULE = "facewatch.local.server"


class UnverifiableProcess(RuntimeError):
    """This OS has no /proc and psutil is not installed: a pid cannot be checked."""


def is_local_server(pid: int) -> bool:
    """Whether `pid` runs the local server (`python -m facewatch.local.server`).

    After a crash `local.json` may name a pid the OS gave to another process since; reading
    the command line tells them apart. Linux: /proc/<pid>/cmdline; elsewhere psutil when it
    is installed; else `UnverifiableProcess`.
    """
    proc = Path("/proc")
    if (proc / "self" / "cmdline").exists():
        try:
            raw = (proc / str(pid) / "cmdline").read_bytes()
        except OSError:
            return False  # gone, or not ours to read
        return SERVER_MODULE in raw.decode("utf-8", "replace").split("\0")
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError as error:
        raise UnverifiableProcess(
            f"cannot check that process {pid} is the facewatch local server on this system"
        ) from error
    try:
        return SERVER_MODULE in psutil.Process(pid).cmdline()
    except psutil.Error:
        return False


def is_facewatch_process(pid: int) -> bool:
    """Whether `pid` is a process that may own `local.json`: the background server, or this
    very process when it runs the local mode in-process and recorded it (the tests do).

    Looser than `is_local_server`, which guards `local down`'s signal; readers only need to
    tell a live local mode from a pid the OS has since given to an unrelated program.
    """
    return pid == os.getpid() or is_local_server(pid)
