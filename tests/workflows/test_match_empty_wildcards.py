"""The match workflow names a person whatever an empty JSONPath wildcard evaluates to.

Each test runs twice (the ``empty_wildcard`` fixture, conftest.py): as moto evaluates such a
wildcard (``[]``) and with the state failing, the other behaviour AWS may have
(`jsonpath_behaviours`).
"""

from __future__ import annotations

from match_fixtures import (  # noqa: F401  (pytest fixtures)
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    sighting,
)

from facewatch.workflows.settings import Channels, SnsChannel


def test_match_reads_a_name_tag_only_photo(harness: MatchHarness, empty_wildcard: str) -> None:
    # given a face item without a stored name, whose photo has only a `name` tag
    assert harness.settings.channels.sns is not None
    h = harness.deploy(channels=Channels(sns=SnsChannel(harness.settings.channels.sns.topic_arn)))
    h.enrol(
        "people/alex.png",
        None,
        "people_alex.png",
        tags={"name": "Alex Lacamoire", "team": "band"},
        stored_name=False,
    )
    # when the camera sees him
    result = h.run([sighting("front-door", "people_alex.png")])
    # then the alert names him
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("Alex Lacamoire was seen")


def test_match_with_tags_naming_nobody_falls_back_to_the_image_id(
    harness: MatchHarness, empty_wildcard: str
) -> None:
    assert harness.settings.channels.sns is not None
    h = harness.deploy(channels=Channels(sns=SnsChannel(harness.settings.channels.sns.topic_arn)))
    h.enrol("people/x.png", None, "people_x.png", tags={"team": "band"}, stored_name=False)
    result = h.run([sighting("front-door", "people_x.png")])
    assert result["status"] == "SUCCEEDED", h.explain(result)
    [message] = h.sns_messages()
    assert message.startswith("people_x.png was seen")
