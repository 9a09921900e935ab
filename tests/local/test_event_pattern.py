"""The local Pipe's EventBridge pattern evaluator, on the rules AWS documents."""

from __future__ import annotations

import base64
import json

import pytest

from facewatch.local.event_pattern import UnsupportedPattern, matches
from facewatch.local.pipe import keep, patterns_from_filter_criteria
from facewatch.workflows import pipe_filter


def test_exact_value_in_list_matches_any_listed_value() -> None:
    assert matches({"source": ["aws.s3", "aws.ec2"]}, {"source": "aws.s3"})
    assert not matches({"source": ["aws.ec2"]}, {"source": "aws.s3"})


def test_numbers_compare_numerically_and_types_do_not_mix() -> None:
    assert matches({"n": [5]}, {"n": 5.0})
    assert not matches({"n": ["5"]}, {"n": 5})
    assert not matches({"b": [True]}, {"b": 1})


def test_field_inside_an_array_of_objects_matches_when_any_element_does() -> None:
    event = {"data": {"Faces": [{"Matched": []}, {"Matched": [{"Face": {"Id": "a"}}]}]}}
    assert matches({"data": {"Faces": {"Matched": {"Face": {"Id": ["a"]}}}}}, event)
    assert not matches({"data": {"Faces": {"Matched": {"Face": {"Id": ["b"]}}}}}, event)


def test_exists_true_needs_the_field_and_exists_false_needs_it_absent() -> None:
    assert matches({"a": {"b": [{"exists": True}]}}, {"a": {"b": 0}})
    assert not matches({"a": {"b": [{"exists": True}]}}, {"a": {}})
    assert matches({"a": {"b": [{"exists": False}]}}, {"a": {}})
    assert matches({"a": {"b": [{"exists": False}]}}, {})
    assert not matches({"a": {"b": [{"exists": False}]}}, {"a": {"b": "x"}})


def test_string_operators() -> None:
    assert matches({"k": [{"prefix": "ab"}]}, {"k": "abc"})
    assert matches({"k": [{"suffix": ".png"}]}, {"k": "x.png"})
    assert matches({"k": [{"prefix": {"equals-ignore-case": "AB"}}]}, {"k": "abc"})
    assert matches({"k": [{"equals-ignore-case": "ABC"}]}, {"k": "abc"})
    assert matches({"k": [{"wildcard": "faces/*.jpg"}]}, {"k": "faces/a/b.jpg"})
    assert not matches({"k": [{"wildcard": "faces/*.jpg"}]}, {"k": "faces/a.png"})


def test_anything_but_and_numeric_ranges() -> None:
    assert matches({"k": [{"anything-but": ["a", "b"]}]}, {"k": "c"})
    assert not matches({"k": [{"anything-but": "a"}]}, {"k": "a"})
    assert not matches({"k": [{"anything-but": {"prefix": "tmp/"}}]}, {"k": "tmp/x"})
    assert matches({"s": [{"numeric": [">=", 80, "<", 100]}]}, {"s": 80})
    assert not matches({"s": [{"numeric": [">=", 80]}]}, {"s": 79.9})
    assert not matches({"s": [{"numeric": [">=", 80]}]}, {"s": "90"})


def test_or_matches_when_any_alternative_does() -> None:
    pattern = {"$or": [{"a": ["1"]}, {"b": ["2"]}]}
    assert matches(pattern, {"b": "2"})
    assert not matches(pattern, {"a": "2", "b": "1"})


def test_pattern_given_as_json_string_like_filter_criteria() -> None:
    assert matches('{"a": ["x"]}', {"a": "x"})


def test_unknown_operator_fails_loudly() -> None:
    with pytest.raises(UnsupportedPattern):
        matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "10.0.0.1"})


MATCHED = {"DetectedFace": {"Confidence": 98.0}, "MatchedFaces": [{"Face": {"FaceId": "f-1"}}]}
UNMATCHED = {"DetectedFace": {"Confidence": 99.0}, "MatchedFaces": []}
VIDEO = {"KinesisVideo": {"StreamArn": "arn:aws:kinesisvideo:us-east-1:1:stream/cam/1"}}


def _faces(*faces: object) -> dict[str, object]:
    return {"InputInformation": VIDEO, "FaceSearchResponse": list(faces)}


@pytest.mark.parametrize(
    ("data", "kept_by_default", "kept_with_unknown_alerts"),
    [
        (_faces(), False, False),
        (_faces(UNMATCHED), False, True),
        (_faces(UNMATCHED, MATCHED), True, True),
        # JSON that is not a face-search record: kept, so the workflow reports it (DLQ).
        ({"Unrelated": True}, True, True),
        ({"InputInformation": {}, "FaceSearchResponse": [MATCHED]}, True, True),
        # Not JSON: no `data` pattern can match it on AWS, nor here.
        (b"not json", False, False),
    ],
)
def test_stack_filter_criteria_keep_faces_of_interest_and_malformed_json(
    data: object, kept_by_default: bool, kept_with_unknown_alerts: bool
) -> None:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    record = {"partitionKey": "cam", "data": base64.b64encode(raw).decode()}
    for unknown, expected in ((False, kept_by_default), (True, kept_with_unknown_alerts)):
        patterns = patterns_from_filter_criteria(pipe_filter.filter_criteria(unknown))
        assert keep(record, patterns) is expected
