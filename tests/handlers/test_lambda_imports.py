"""The Lambda package holds handlers/ alone: a handler imports only the standard library, the
Lambda runtime's boto3/botocore, Pillow (packaged) and its sibling modules, relatively."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HANDLERS = sorted((Path(__file__).resolve().parents[2] / "handlers").glob("*.py"))
IN_PACKAGE_OR_RUNTIME = {"boto3", "botocore", "PIL"}


@pytest.mark.parametrize("module", HANDLERS, ids=[h.name for h in HANDLERS])
def test_a_handler_imports_nothing_the_lambda_package_lacks(module: Path) -> None:
    import sys

    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top in IN_PACKAGE_OR_RUNTIME, (
                f"{module.name} imports {name}"
            )
