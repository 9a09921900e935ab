"""Face descriptors (dlib's ResNet model) and the similarity scale of the local engine.

Descriptors are 128-d vectors from ``dlib_face_recognition_resnet_model_v1.dat``, computed
on the face aligned with the 5-point landmark predictor; both model files ship in the
``face_recognition_models`` wheel, so nothing is downloaded at run time. The models are
loaded once per process (lazily, under a lock) and calls into them are serialised: dlib's
networks keep per-instance scratch buffers and are not safe for concurrent use.

Similarity scale
----------------
dlib's model is trained so that two photos of the same person lie at a Euclidean
distance below 0.6 (its recommended tolerance). Rekognition reports a similarity on a
0..100 scale with a default ``FaceMatchThreshold`` of 80. The engine maps distance ``d``
to similarity with a monotone piecewise-linear function through these knots::

    d:          0.0    0.6    1.2 and beyond
    similarity: 100    80     0

so ``similarity >= 80`` holds exactly when ``d <= 0.6`` (``similarity_from_distance``
enforces the boundary even against floating-point rounding). A threshold of 90 therefore
means ``d <= 0.3`` and 70 means ``d <= 0.675``; ``distance_from_similarity`` is the inverse.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from facewatch.engine.detection import FaceBox, as_uint8_image

#: dlib's recommended same-person tolerance and the similarity it maps to.
TOLERANCE = 0.6
THRESHOLD_SIMILARITY = 80.0
_DISTANCE_KNOTS = (0.0, TOLERANCE, 2 * TOLERANCE)
_SIMILARITY_KNOTS = (100.0, THRESHOLD_SIMILARITY, 0.0)

#: The threshold the local mode applies (on this engine's scale) whatever ``faceMatchThreshold``
#: (80 to 100, on Rekognition's scale) the stack sets. The two scales agree only at 80: a stack's
#: 90 means "clearly the same person" to Rekognition, whose genuine pairs score in the high 90s,
#: while 90 here would demand ``d <= 0.3``, which different photos of one person rarely reach
#: (the sample clip scores 81 to 83). dlib's tolerance is the engine's "same person" decision;
#: on the shared photos it names 7 of 8 faces right, none wrong, and accepts no stranger
#: (``bench/recognizer.py``), the decisions a Rekognition threshold from 80 to 99 gives there.
LOCAL_MODE_THRESHOLD = THRESHOLD_SIMILARITY

#: Name reported as ``FaceModelVersion`` by the engine.
MODEL_VERSION = "dlib_face_recognition_resnet_model_v1"

_models: tuple[Any, Any] | None = None
_models_lock = threading.Lock()


def _get_models() -> tuple[Any, Any]:
    """(shape predictor, face recognition model), loaded once per process."""
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                import dlib
                import face_recognition_models

                _models = (
                    dlib.shape_predictor(
                        face_recognition_models.pose_predictor_five_point_model_location()
                    ),
                    dlib.face_recognition_model_v1(
                        face_recognition_models.face_recognition_model_location()
                    ),
                )
    return _models


def face_landmarks(rgb: np.ndarray, box: FaceBox) -> list[tuple[float, float]]:
    """The 5 landmark points (x, y pixels): right eye corners, left eye corners, nose base."""
    import dlib

    image = as_uint8_image(rgb)
    predictor, _ = _get_models()
    rect = dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
    with _models_lock:
        shape = predictor(image, rect)
    return [(float(point.x), float(point.y)) for point in shape.parts()]


def face_descriptor(rgb: np.ndarray, box: FaceBox, num_jitters: int = 0) -> np.ndarray:
    """The 128-d descriptor (float64) of the face in ``box`` of an RGB uint8 image.

    ``num_jitters > 0`` averages that many randomly jittered crops (slower, a little
    more robust); 0 computes one descriptor on the aligned face.
    """
    import dlib

    image = as_uint8_image(rgb)
    predictor, model = _get_models()
    rect = dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
    with _models_lock:
        shape = predictor(image, rect)
        if num_jitters > 0:
            descriptor = model.compute_face_descriptor(image, shape, num_jitters)
        else:
            descriptor = model.compute_face_descriptor(image, shape)
    return np.asarray(descriptor, dtype=np.float64)


def face_distances(known: np.ndarray, descriptor: np.ndarray) -> np.ndarray:
    """Euclidean distances between each row of ``known`` (N x 128) and ``descriptor``."""
    if len(known) == 0:
        return np.empty(0, dtype=np.float64)
    return np.asarray(np.linalg.norm(known - descriptor, axis=1), dtype=np.float64)


def similarity_from_distance(distance: float) -> float:
    """Rekognition-style similarity (0..100) of a descriptor distance (see module doc)."""
    similarity = float(np.interp(distance, _DISTANCE_KNOTS, _SIMILARITY_KNOTS))
    # Keep the threshold exact: rounding must never push a distance just above the
    # tolerance to 80, nor one at or below it under 80.
    if distance <= TOLERANCE:
        return max(similarity, THRESHOLD_SIMILARITY)
    return min(similarity, math.nextafter(THRESHOLD_SIMILARITY, 0.0))


def distance_from_similarity(similarity: float) -> float:
    """Largest descriptor distance whose similarity is at least ``similarity``."""
    if similarity <= 0.0:
        return math.inf
    if similarity > 100.0:
        return -math.inf
    return float(np.interp(similarity, _SIMILARITY_KNOTS[::-1], _DISTANCE_KNOTS[::-1]))
