"""EventBridge event-pattern matching, for the local Pipe adapter.

EventBridge Pipes filter Kinesis records with event patterns; the local mode must
drop exactly the records the deployed Pipe drops, so it evaluates the very same
pattern (from `workflows.pipe_filter`) with the rules of
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html:

- a pattern is an object whose keys are field names; an object value descends into
  the event, an array value lists the matchers of a leaf (any one may match);
- arrays in the event are flattened: a leaf matches when any of its values matches,
  whatever the array nesting (so matching is per field, not per array element, as on AWS);
- a field absent from the event matches only `{"exists": false}`;
- `$or` takes a list of patterns, any of which may match at that level.

Matchers implemented: exact values (string, number compared numerically, boolean, null),
`prefix`, `suffix` (both also with `equals-ignore-case`), `equals-ignore-case`,
`anything-but` (value, list, or `prefix`/`suffix`), `numeric` (`=`, `<`, `<=`, `>`, `>=`
pairs), `exists`, `wildcard`. Anything else raises `UnsupportedPattern`, so a pattern the
local mode cannot evaluate fails loudly instead of filtering differently from AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

_NUMERIC_OPERATORS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class UnsupportedPattern(ValueError):
    """A pattern uses an operator the local evaluator does not implement."""


def load_pattern(pattern: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """A pattern as given to Pipes (a JSON string) or already parsed."""
    if isinstance(pattern, str):
        parsed = json.loads(pattern)
        if not isinstance(parsed, dict):
            raise UnsupportedPattern(f"an event pattern is a JSON object, got {pattern!r}")
        return parsed
    return pattern


def matches(pattern: str | Mapping[str, Any], event: Any) -> bool:
    """True when `event` matches the EventBridge `pattern`."""
    return _match_object(load_pattern(pattern), [event])


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_flatten(value))
        else:
            out.append(value)
    return out


def _match_object(pattern: Mapping[str, Any], nodes: list[Any]) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not isinstance(sub, list) or not any(_match_object(p, nodes) for p in sub):
                return False
            continue
        children = _flatten(
            node[key] for node in nodes if isinstance(node, Mapping) and key in node
        )
        if isinstance(sub, Mapping):
            if not _match_object(sub, [c for c in children if isinstance(c, Mapping)]):
                return False
        elif isinstance(sub, list):
            leaves = [c for c in children if not isinstance(c, Mapping)]
            if not any(_match_leaf(matcher, leaves) for matcher in sub):
                return False
        else:
            raise UnsupportedPattern(
                f"pattern field {key!r} must be an object or an array of matchers, got {sub!r}"
            )
    return True


def _match_leaf(matcher: Any, values: list[Any]) -> bool:
    if isinstance(matcher, Mapping):
        if len(matcher) != 1:
            raise UnsupportedPattern(f"a matcher has exactly one operator, got {matcher!r}")
        ((operator, operand),) = matcher.items()
        if operator == "exists":
            return bool(values) is bool(operand)
        return any(_match_operator(operator, operand, value) for value in values)
    return any(_equal(matcher, value) for value in values)


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool) or expected is None:
        return expected is value or (expected == value and type(expected) is type(value))
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return isinstance(expected, str) and isinstance(value, str) and expected == value


def _string_test(operand: Any, value: Any, test: str) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(operand, Mapping) and set(operand) == {"equals-ignore-case"}:
        text, subject = str(operand["equals-ignore-case"]).lower(), value.lower()
    elif isinstance(operand, str):
        text, subject = operand, value
    else:
        raise UnsupportedPattern(f"{test} takes a string, got {operand!r}")
    return subject.startswith(text) if test == "prefix" else subject.endswith(text)


def _match_operator(operator: str, operand: Any, value: Any) -> bool:
    if operator in ("prefix", "suffix"):
        return _string_test(operand, value, operator)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(operand).lower()
    if operator == "anything-but":
        if isinstance(operand, Mapping):
            ((inner, inner_operand),) = operand.items()
            if inner not in ("prefix", "suffix"):
                raise UnsupportedPattern(f"anything-but with {inner!r} is not implemented")
            return isinstance(value, str) and not _string_test(inner_operand, value, inner)
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_equal(item, value) for item in excluded)
    if operator == "numeric":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if not isinstance(operand, list) or len(operand) % 2:
            raise UnsupportedPattern(f"numeric takes operator/value pairs, got {operand!r}")
        for op, bound in zip(operand[::2], operand[1::2], strict=True):
            if op not in _NUMERIC_OPERATORS:
                raise UnsupportedPattern(f"numeric operator {op!r} is not implemented")
            if not _NUMERIC_OPERATORS[op](float(value), float(bound)):
                return False
        return True
    if operator == "wildcard":
        # EventBridge wildcards only know `*` (and `\*` for a literal star).
        regex = "".join(
            ".*" if part == "*" else re.escape(part.replace("\\*", "*"))
            for part in re.split(r"(?<!\\)(\*)", str(operand))
        )
        return isinstance(value, str) and re.fullmatch(regex, value, re.DOTALL) is not None
    raise UnsupportedPattern(
        f"event pattern operator {operator!r} is not implemented by the local Pipe"
    )


__all__ = ["UnsupportedPattern", "load_pattern", "matches"]
