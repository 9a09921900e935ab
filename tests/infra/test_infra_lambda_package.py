"""The program refuses to deploy a snapshot Lambda that `make lambda-package` did not build."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from infra import snapshot_function


def test_missing_package_names_the_make_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(snapshot_function.PACKAGE_DIR_VARIABLE, str(tmp_path / "nothing-here"))

    with pytest.raises(pulumi.RunError, match="run `make lambda-package`"):
        snapshot_function.package_dir()


def test_built_package_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "snapshot.py").write_text("")
    monkeypatch.setenv(snapshot_function.PACKAGE_DIR_VARIABLE, str(tmp_path))

    assert snapshot_function.package_dir() == tmp_path


def test_default_location_is_the_make_target_output() -> None:
    makefile = (snapshot_function.PROJECT_ROOT / "Makefile").read_text()

    assert "LAMBDA_PACKAGE := build/lambda/snapshot" in makefile
    assert snapshot_function.PACKAGE_DIR == snapshot_function.PROJECT_ROOT / "build/lambda/snapshot"
