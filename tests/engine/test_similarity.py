"""The similarity scale: >= 80 exactly when dlib's distance is <= 0.6."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from facewatch.engine.embedding import distance_from_similarity, similarity_from_distance


def test_tolerance_maps_to_the_default_threshold() -> None:
    assert similarity_from_distance(0.6) == 80.0


def test_just_above_the_tolerance_is_below_the_threshold() -> None:
    assert similarity_from_distance(math.nextafter(0.6, 1.0)) < 80.0


def test_just_below_the_tolerance_is_at_or_above_the_threshold() -> None:
    assert similarity_from_distance(math.nextafter(0.6, 0.0)) >= 80.0


@pytest.mark.parametrize(("distance", "similarity"), [(0.0, 100.0), (0.3, 90.0), (0.9, 40.0)])
def test_knots_and_midpoints(distance: float, similarity: float) -> None:
    assert similarity_from_distance(distance) == pytest.approx(similarity)


def test_far_faces_have_zero_similarity() -> None:
    assert similarity_from_distance(1.5) == 0.0


def test_scale_is_decreasing_and_bounded() -> None:
    values = [similarity_from_distance(d) for d in np.linspace(0, 1.4, 141)]
    assert all(a > b or b == 0.0 for a, b in itertools.pairwise(values))
    assert all(0.0 <= v <= 100.0 for v in values)


@pytest.mark.parametrize("similarity", [99.0, 90.0, 80.0, 70.0, 25.0])
def test_distance_from_similarity_inverts_the_scale(similarity: float) -> None:
    distance = distance_from_similarity(similarity)
    assert similarity_from_distance(distance) == pytest.approx(similarity)
