"""Fixtures of the camera agent tests.

The clip and Lin-Manuel Miranda's reference photo are the shared ones (../shared/data, or
$FACEWATCH_SHARED_DATA: see tests/shared_data.py) when present, else the copies bundled in
sample_data/. The clip is run through the agent once per session per scenario
(session-scoped fixtures) so the directory stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from shared_data import clip_path, reference_photo

LIN_ID = "lin-manuel-miranda"
CAMERA = "stage"
REGION = "us-east-1"
ACCOUNT = "123456789012"
STREAM_ARN = f"arn:aws:kinesisvideo:{REGION}:{ACCOUNT}:stream/{CAMERA}/edge"


@pytest.fixture(scope="session")
def clip() -> Path:
    return clip_path()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region for moto; nothing may reach AWS."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)


class CountingBackend:
    """Wraps a search backend and remembers every SearchFacesByImage call."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[dict[str, Any]] = []

    def search_faces_by_image(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return self.inner.search_faces_by_image(**kwargs)


def agent_config(clip: Path, collection: str, **overrides: Any) -> Any:
    from facewatch.agent import AgentConfig

    return AgentConfig(
        camera=CAMERA,
        source=str(clip),
        collection_id=collection,
        stream_arn=STREAM_ARN,
        **overrides,
    )


@pytest.fixture(scope="session")
def engine_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine")


@pytest.fixture(scope="session")
def engine(engine_root: Path) -> Any:
    from facewatch.engine.engine import FaceEngine

    face_engine = FaceEngine(engine_root)
    face_engine.create_collection(CollectionId="enrolled")
    response = face_engine.index_faces(
        CollectionId="enrolled",
        Image={"Bytes": reference_photo(LIN_ID).read_bytes()},
        ExternalImageId=LIN_ID,
        MaxFaces=1,
    )
    assert response["FaceRecords"], "Lin-Manuel Miranda's reference photo was not indexed"
    face_engine.create_collection(CollectionId="empty")
    return face_engine


@pytest.fixture(scope="session")
def enrolled_run(clip: Path, engine: Any) -> dict[str, Any]:
    """The whole clip through the agent, Lin-Manuel Miranda enrolled, calls counted."""
    from facewatch.agent import ListSink, run

    backend = CountingBackend(engine)
    sink = ListSink()
    summary = run(agent_config(clip, "enrolled"), backend, sink)
    return {"summary": summary, "sink": sink, "backend": backend}


@pytest.fixture(scope="session")
def empty_run(clip: Path, engine: Any) -> dict[str, Any]:
    """The whole clip through the agent against an empty collection."""
    from facewatch.agent import ListSink, run

    sink = ListSink()
    summary = run(agent_config(clip, "empty"), engine, sink)
    return {"summary": summary, "sink": sink}


os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
