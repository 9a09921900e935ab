"""Fixtures of the local-mode tests.

The clip is the shared one (../shared/data/video, or $FACEWATCH_SHARED_DATA: see
tests/shared_data.py) when present, else the copy bundled in sample_data/; the enrolment
photos are the bundled ones. End-to-end modules share one local-mode instance per module
(module-scoped fixtures) to keep the directory fast.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from shared_data import clip_path

REPO = Path(__file__).resolve().parents[2]
FACES = REPO / "sample_data" / "faces"
LIN = "Lin-Manuel Miranda"
ALEX = "Alex Lacamoire"
PHOTOS = {LIN: FACES / "lin-manuel-miranda.png", ALEX: FACES / "alex-lacamoire.png"}
CAMERA = "stage"


def find_clip() -> Path:
    return clip_path()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def clip() -> Path:
    return find_clip()


@pytest.fixture(autouse=True, scope="module")
def _no_real_aws() -> None:
    # The local mode passes its own credentials; make sure nothing falls back to a profile.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials, region or profile from this machine: only what a test sets."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
