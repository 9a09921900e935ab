"""Where the tests find the shared sample data: the one place that reads FACEWATCH_SHARED_DATA.

The shared data (faces/train, faces/test, faces/reference, video/) lives outside the repo,
at ../shared/data by default (/work/shared/data for a checkout at /work/main). Set
FACEWATCH_SHARED_DATA to use another folder, or to a missing path to see which tests skip
without it. The clip and the reference photos also ship in sample_data/: tests that only
need those use the shared copy when present and fall back to the bundled one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_VAR = "FACEWATCH_SHARED_DATA"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED_DATA = REPO.parent / "shared" / "data"
BUNDLED_CLIP = REPO / "sample_data" / "video" / "short_hamilton_clip.mp4"
BUNDLED_FACES = REPO / "sample_data" / "faces"
HOW_TO_PROVIDE = f"put it at {DEFAULT_SHARED_DATA} or set {ENV_VAR} to the folder holding it"


def shared_data_root() -> Path:
    """The shared data folder: $FACEWATCH_SHARED_DATA, else ../shared/data next to the repo."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value).expanduser() if value else DEFAULT_SHARED_DATA


def shared_path(*parts: str) -> Path:
    """A path under the shared data, or skip the test naming the missing path."""
    path = shared_data_root().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared sample data not found at {path}: {HOW_TO_PROVIDE}")
    return path


def shared_or_bundled(parts: tuple[str, ...], bundled: Path) -> Path:
    """The shared copy of a file when present, else the bundled one; skip when neither is."""
    shared = shared_data_root().joinpath(*parts)
    for path in (shared, bundled):
        if path.is_file():
            return path
    pytest.skip(f"sample data not found at {shared} nor at {bundled}: {HOW_TO_PROVIDE}")


def clip_path() -> Path:
    """The Hamilton clip: shared, else bundled."""
    return shared_or_bundled(("video", "short_hamilton_clip.mp4"), BUNDLED_CLIP)


def reference_photo(person: str) -> Path:
    """A person's reference photo (faces/reference/<person>.png): shared, else bundled."""
    name = f"{person}.png"
    return shared_or_bundled(("faces", "reference", name), BUNDLED_FACES / name)
