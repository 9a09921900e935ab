"""The agent accepts exactly the camera names the stack accepts in facewatch:cameras."""

from __future__ import annotations

import pytest

from facewatch.agent import AgentConfig
from facewatch.agent.errors import AgentError
from facewatch.workflows.records import CAMERA_NAME_MAX

ARN = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/door/edge"


def agent_config(camera: str) -> AgentConfig:
    return AgentConfig(camera=camera, source="unused", collection_id="c", stream_arn=ARN)


def test_longest_camera_name_the_stack_accepts_is_accepted() -> None:
    # given the longest name a stack camera may have (its processor name is 128 characters)
    name = "c" * CAMERA_NAME_MAX
    # when / then
    assert agent_config(name).camera == name


def test_camera_name_the_stack_would_reject_stops_with_the_limit_in_the_fix() -> None:
    # given a name one character too long for a stream processor name
    name = "c" * (CAMERA_NAME_MAX + 1)
    # when
    with pytest.raises(AgentError) as error:
        agent_config(name)
    # then
    assert f"use 1-{CAMERA_NAME_MAX} letters" in error.value.hint


def test_camera_name_with_a_space_is_rejected() -> None:
    with pytest.raises(AgentError, match="invalid camera name 'front door'"):
        agent_config("front door")
