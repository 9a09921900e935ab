"""The program refuses to deploy Lambdas from a package `make lambda-package` did not build."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from infra import lambda_function


def _package(root: Path, *modules: str) -> Path:
    (root / "handlers").mkdir()
    for module in modules:
        (root / "handlers" / f"{module}.py").write_text("")
    return root


def test_missing_package_names_the_make_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(lambda_function.PACKAGE_DIR_VARIABLE, str(tmp_path / "nothing-here"))

    with pytest.raises(pulumi.RunError, match="run `make lambda-package`"):
        lambda_function.package_dir()


def test_package_without_the_decode_handler_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A package built before decode became a function of its own.
    package = _package(tmp_path, "snapshot", "decode_records", "object_key")
    monkeypatch.setenv(lambda_function.PACKAGE_DIR_VARIABLE, str(package))

    with pytest.raises(pulumi.RunError, match=r"handlers/decode\.py not found"):
        lambda_function.package_dir()


def test_package_without_the_object_key_handler_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A package built before the indexing workflow's object-key Lambda existed.
    package = _package(tmp_path, "snapshot", "decode", "decode_records")
    monkeypatch.setenv(lambda_function.PACKAGE_DIR_VARIABLE, str(package))

    with pytest.raises(pulumi.RunError, match=r"handlers/object_key\.py not found"):
        lambda_function.package_dir()


def test_built_package_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(tmp_path, *lambda_function.HANDLER_MODULES)
    monkeypatch.setenv(lambda_function.PACKAGE_DIR_VARIABLE, str(package))

    assert lambda_function.package_dir() == package


def test_default_location_is_the_make_target_output() -> None:
    makefile = (lambda_function.PROJECT_ROOT / "Makefile").read_text()

    assert "LAMBDA_PACKAGE := build/lambda/snapshot" in makefile
    assert "cp handlers/*.py $(LAMBDA_PACKAGE)/handlers/" in makefile
    assert lambda_function.PACKAGE_DIR == lambda_function.PROJECT_ROOT / "build/lambda/snapshot"
