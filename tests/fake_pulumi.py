"""A fake Pulumi CLI for the facewatch CLI's `--stack` tests (the real one cannot be installed
on these machines): `pulumi` is on PATH and `pulumi stack output --json` prints given outputs."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from facewatch.cli import common as cli_common


def install(
    monkeypatch: pytest.MonkeyPatch, outputs: dict[str, Any], stdout: str | None = None
) -> list[list[str]]:
    """Fake `pulumi` printing `outputs` as JSON (or `stdout` as it is); the commands it ran."""
    commands: list[list[str]] = []
    printed = json.dumps(outputs) if stdout is None else stdout

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, stdout=printed, stderr="")

    monkeypatch.setattr(cli_common.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(cli_common.subprocess, "run", fake_run)
    return commands
