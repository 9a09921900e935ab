"""Without the shared data, its tests skip with a message naming the path and the fix.

FACEWATCH_SHARED_DATA (read in tests/shared_data.py) simulates the absence: a pytest run in
a subprocess points it at a missing folder and runs one shared-data test, which skips
before doing any work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_ONLY_TEST = (
    "tests/engine/test_identification_shared.py::test_enrolled_person_matches_his_test_photo"
)


def test_shared_data_test_skips_with_the_missing_path_and_how_to_provide_it() -> None:
    # given the shared data pointed at a folder that does not exist
    env = {**os.environ, "FACEWATCH_SHARED_DATA": "/nonexistent"}
    # when one test that needs it runs in its own pytest
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", SHARED_ONLY_TEST],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # then it is skipped (not failed, not passed), saying which path is missing and how to fix it
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "1 skipped" in output and "passed" not in output and "failed" not in output
    skip_lines = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert len(skip_lines) == 1, output
    assert "shared sample data not found at /nonexistent/faces/train/obama" in skip_lines[0]
    assert "set FACEWATCH_SHARED_DATA" in skip_lines[0]
