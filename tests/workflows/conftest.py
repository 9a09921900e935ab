"""Fixtures shared by the workflow tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jsonpath_behaviours import EMPTY_WILDCARD_BEHAVIOURS, empty_wildcards_fail


@pytest.fixture(params=EMPTY_WILDCARD_BEHAVIOURS)
def empty_wildcard(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test once as moto behaves, once with empty wildcards failing the state."""
    if request.param == "fails":
        with empty_wildcards_fail():
            yield request.param
    else:
        yield request.param
