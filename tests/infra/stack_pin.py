"""What the stack declares for a fixed set of configs, as canonical JSON (the refactoring pin).

`test_stack_pin.py` compares the program's declarations with ``pins/stack.json``: every AWS
resource (type, logical name, inputs, which include the state machine definitions and all IAM
documents) and the stack outputs, for each config below. Component resources
(``facewatch:*``) are left out: they are the program's structure, not what AWS creates, and a
layout change may regroup them. Regenerate only when a change is MEANT to alter what is
deployed, and say so in the commit:

    .venv/bin/python tests/infra/stack_pin.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pulumi

HERE = Path(__file__).resolve().parent
PIN = HERE / "pins" / "stack.json"
PACKAGE_PLACEHOLDER = "<lambda package>"


def _configs() -> dict[str, tuple[dict[str, Any], dict[str, str], str]]:
    from stack_configs import ALL_CHANNELS, ALL_TOKENS, ONE_CAMERA, POLICY_CONFIGS

    return {
        **POLICY_CONFIGS,
        "edge-express-object-lock": (
            {**ONE_CAMERA, "analysis": "edge", "workflowType": "EXPRESS", "auditObjectLock": True},
            {},
            "us-west-2",
        ),
        "stream-processor-minimal": (ONE_CAMERA, {}, "eu-west-1"),
        "stream-processor-channels-no-alarms": (
            {**ONE_CAMERA, **ALL_CHANNELS},
            ALL_TOKENS,
            "us-east-1",
        ),
    }


def _plain(value: Any, package: str) -> Any:
    if isinstance(value, pulumi.FileArchive | pulumi.AssetArchive | pulumi.FileAsset):
        path = str(getattr(value, "path", ""))
        return {type(value).__name__: PACKAGE_PLACEHOLDER if path == package else path}
    if isinstance(value, dict):
        return {str(k): _plain(v, package) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, package) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    raise TypeError(f"cannot pin a {type(value).__name__}: {value!r:.100}")


def snapshot(package: str) -> dict[str, Any]:
    """The declarations for every config; ``package`` is the Lambda package path in use."""
    from stack_harness import run_stack

    pinned: dict[str, Any] = {}
    for label, (values, secrets, region) in _configs().items():
        run = run_stack(values, secrets=secrets, region=region)
        resources = sorted(
            (
                {"type": r.type, "name": r.name, "inputs": _plain(r.inputs, package)}
                for r in run.resources
                if not r.type.startswith("facewatch:")
            ),
            key=lambda r: (r["type"], r["name"]),
        )
        pinned[label] = {"resources": resources, "outputs": _plain(run.outputs, package)}
    return pinned


def canonical(pinned: dict[str, Any]) -> str:
    return json.dumps(pinned, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    import os
    import tempfile

    from infra.lambda_function import HANDLER_MODULES, PACKAGE_DIR_VARIABLE

    with tempfile.TemporaryDirectory() as temp:
        package = Path(temp)
        (package / "handlers").mkdir()
        for module in HANDLER_MODULES:
            (package / "handlers" / f"{module}.py").touch()
        os.environ[PACKAGE_DIR_VARIABLE] = str(package)
        PIN.write_text(canonical(snapshot(str(package))))
    print(f"wrote {PIN}")


if __name__ == "__main__":
    sys.path[:0] = [str(HERE.parents[1]), str(HERE)]
    main()
