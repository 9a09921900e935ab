"""Fixtures for the Pulumi program tests: a stand-in Lambda package and stack runs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stack_configs import POLICY_CONFIGS
from stack_harness import StackRun, run_stack

from infra.lambda_function import PACKAGE_DIR_VARIABLE


@pytest.fixture(scope="session")
def lambda_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """What `make lambda-package` builds, minus Pillow (the mocks never read the archive)."""
    path = tmp_path_factory.mktemp("lambda-package")
    (path / "handlers").mkdir()
    for module in ("snapshot", "decode", "decode_records", "object_key"):
        (path / "handlers" / f"{module}.py").write_text("")
    previous = os.environ.get(PACKAGE_DIR_VARIABLE)
    os.environ[PACKAGE_DIR_VARIABLE] = str(path)
    yield path
    if previous is None:
        os.environ.pop(PACKAGE_DIR_VARIABLE, None)
    else:
        os.environ[PACKAGE_DIR_VARIABLE] = previous


@pytest.fixture(scope="session")
def stack(lambda_package: Path) -> Callable[..., StackRun]:
    """Run the program for a config; identical configs are run once per session."""
    cache: dict[str, StackRun] = {}

    def run(values: dict[str, Any], secrets: dict[str, str] | None = None, **kw: Any) -> StackRun:
        key = repr((sorted(values.items()), sorted((secrets or {}).items()), sorted(kw.items())))
        if key not in cache:
            cache[key] = run_stack(values, secrets=secrets, **kw)
        return cache[key]

    return run


@pytest.fixture(scope="module", params=list(POLICY_CONFIGS))
def policy_run(request: pytest.FixtureRequest, stack: Callable[..., StackRun]) -> StackRun:
    """The stack run for each of POLICY_CONFIGS (the IAM and parliament tests)."""
    values, secrets, region = POLICY_CONFIGS[request.param]
    return stack(values, secrets, region=region)
