"""A Step Functions execution history as the states it went through (`executions show`).

GetExecutionHistory returns a flat list of events. Which state an event belongs to is told by
its ``previousEventId``: an event continues what its previous event was doing, except after a
``...StateExited`` event, where the flow moves on to a sibling of the state that exited. So a
state entered right after ``ParallelStateStarted`` (or a ``MapIterationStarted``) is a child
of that Parallel (Map) state, even when the branches' events interleave, as they do on AWS and
in moto. Each visit keeps its own events: a state met again (a Map's iterations) is a new
visit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Event types that end a state (or a task within it) with an error.
_FAILURE_SUFFIXES = ("Failed", "TimedOut", "Aborted")


@dataclass
class StateVisit:
    """One entry into a state, with what happened until it exited."""

    name: str
    kind: str  # Task, Pass, Choice, Parallel, Map, Succeed, Fail, Wait
    depth: int
    parent: StateVisit | None = field(default=None, repr=False)
    iteration: int | None = None  # the Map iteration this visit belongs to
    # The entry order of the first state of this visit's branch (of a Parallel state, or of
    # the sequence it belongs to): orders a Parallel state's children branch by branch.
    lane: int = 0
    resource: str = ""
    error: str = ""
    exited: bool = False
    # (event type, "input" | "output" | "error" | "task", text) for `executions show --full`.
    details: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.error:
            # A caught error still exits the state (the Catch's Next follows); an uncaught one
            # ends the execution inside it.
            return "caught" if self.exited else "failed"
        return "ok" if self.exited else "running"


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def state_visits(events: list[dict[str, Any]]) -> list[StateVisit]:
    """The states an execution entered, in the order it entered them."""
    visits: list[StateVisit] = []
    owner: dict[int, StateVisit | None] = {}  # event id -> the state it belongs to
    exited: dict[int, StateVisit] = {}  # ids of ...StateExited events -> the state that exited
    iteration: dict[int, int | None] = {}  # event id -> Map iteration it runs in
    for event in sorted(events, key=lambda e: int(e["id"])):
        event_id, kind = int(event["id"]), str(event["type"])
        previous = int(event.get("previousEventId") or 0)
        lane = len(visits)  # a state entered here starts a branch, unless it follows a sibling
        if previous in exited:  # the flow moved on to a sibling of the exited state
            context = exited[previous].parent
            index = exited[previous].iteration
            lane = exited[previous].lane
        else:
            context = owner.get(previous)
            index = iteration.get(previous, context.iteration if context else None)
        details = _details(event)
        if kind == "MapIterationStarted":
            index = details.get("index")
        if kind.endswith("StateEntered"):
            visit = StateVisit(
                name=str(details.get("name", "?")),
                kind=kind.removesuffix("StateEntered"),
                depth=context.depth + 1 if context else 0,
                parent=context,
                iteration=index,
                lane=lane,
            )
            visits.append(visit)
            context = visit
            if "input" in details:
                visit.details.append((kind, "input", _text(details["input"])))
        elif context is not None:
            if kind.endswith("StateExited"):
                context.exited = True
                exited[event_id] = context
                if "output" in details:
                    context.details.append((kind, "output", _text(details["output"])))
            elif "resource" in details:
                context.resource = f"{details.get('resourceType')}:{details['resource']}"
                context.details.append((kind, "task", context.resource))
            if kind.endswith(_FAILURE_SUFFIXES) and ("error" in details or "cause" in details):
                error = f"{details.get('error', '')}: {details.get('cause', '')}".strip(": ")
                context.error = error or kind
                context.details.append((kind, "error", context.error))
        owner[event_id] = context
        iteration[event_id] = index
    return visits


def tree_order(visits: list[StateVisit]) -> list[StateVisit]:
    """The visits depth first: each state followed by its children, a Parallel state's
    branches one after the other (their events interleave in the history)."""
    position = {id(visit): n for n, visit in enumerate(visits)}
    children: dict[int, list[StateVisit]] = {}
    for visit in visits:
        children.setdefault(id(visit.parent), []).append(visit)

    def walk(parent: StateVisit | None) -> list[StateVisit]:
        ordered = sorted(children.get(id(parent), []), key=lambda v: (v.lane, position[id(v)]))
        return [item for visit in ordered for item in (visit, *walk(visit))]

    return walk(None)


def one_line(text: str) -> str:
    """Whitespace folded, so a multi-line cause stays on its summary row."""
    return " ".join(text.split())
