"""Inject each behaviour AWS may have for a JSONPath wildcard that matches nothing (test helper).

moto (like LocalStack) evaluates ``$.list[*].field`` to ``[]`` when no item has ``field``;
AWS does not document it, and the other plausible behaviour is the state failing with
``States.Runtime`` ("The JSONPath ... could not be found in the input"), which no Catch
handles. `empty_wildcards_fail` makes moto behave that way, so a definition can be run
under both.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_JSON_PATH = "moto.stepfunctions.parser.asl.utils.json_path"
# The modules that evaluate JSONPath in Parameters/ResultSelector/InputPath, intrinsic
# arguments and Choice rules (each imports `extract_json` by name).
_USERS = (
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
    "moto.stepfunctions.parser.asl.eval.states",
)

EMPTY_WILDCARD_BEHAVIOURS = ("empty-list", "fails")


@contextmanager
def empty_wildcards_fail() -> Iterator[None]:
    json_path = importlib.import_module(_JSON_PATH)
    original = json_path.extract_json

    def strict(path: str, data: Any) -> Any:
        if not json_path.parse(path).find(data):
            raise json_path.NoSuchJsonPathError(json_path=path, data=data)
        return original(path, data)

    for name in _USERS:
        importlib.import_module(name)
    patched = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser")
        and getattr(module, "extract_json", None) is original
    ]
    for module in patched:
        module.extract_json = strict  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.extract_json = original  # type: ignore[attr-defined]
