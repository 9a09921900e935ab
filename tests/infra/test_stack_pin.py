"""Refactoring guard: the program declares exactly what ``pins/stack.json`` records.

A change that only moves code (layout, components, helpers) must keep every AWS resource's
type, logical name and inputs (state machine definitions and IAM documents included) and the
stack outputs identical for the configs of `stack_pin`. When a change is meant to alter what
is deployed, regenerate the pin deliberately (``.venv/bin/python tests/infra/stack_pin.py``)
and review its diff in the commit.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from stack_pin import PIN, canonical, snapshot


def test_the_stack_declares_exactly_what_is_pinned(lambda_package: Path) -> None:
    # given the pinned declarations
    pinned = PIN.read_text()
    # when the program runs (under mocks) for the same configs
    declared = canonical(snapshot(str(lambda_package)))
    # then nothing differs
    if declared != pinned:
        diff = difflib.unified_diff(
            pinned.splitlines(), declared.splitlines(), "pinned", "declared", lineterm="", n=2
        )
        raise AssertionError("the stack differs from its pin:\n" + "\n".join(list(diff)[:80]))
