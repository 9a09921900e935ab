"""How the durable state learns what moto changed: wrappers around moto's own methods.

A `Patch` names a moto method and how to tell, from the call's arguments and result, which
entities it changed (`Ref`s). `install_patches` wraps each method so that, after it returns,
those entities are marked; the caller (write_through.py) then copies their CURRENT state from
moto's memory. Hooking moto's models rather than parsing requests means every path that changes
an entity is seen: the API, the Step Functions interpreter's SDK calls, SNS deliveries to SQS.
Also the JSON helpers the adapters share.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# (kind, scope, container, key): key None = the whole container (an SQS queue).
Ref = tuple[str, str, str, str | None]
RefsOf = Callable[[dict[str, Any], Any], Iterable[Ref]]
# Whether entities of (kind, container) are kept: the local mode leaves out the enrolment state.
Include = Callable[[str, str], bool]


@dataclass(frozen=True)
class Patch:
    owner: type
    name: str
    refs: RefsOf  # (the call's bound arguments, its result) -> what it changed


def install_patches(patches: Iterable[Patch], mark: Callable[[Ref], None]) -> Callable[[], None]:
    """Wrap each method so that, after it returns, what it changed is `mark`ed; returns the
    undo. A call that raises marks nothing (moto changed nothing, or put it back)."""
    undo: list[tuple[type, str, Any]] = []
    for patch in patches:
        original = patch.owner.__dict__[patch.name]
        signature = inspect.signature(original)

        def wrapper(
            *args: Any,
            _original: Any = original,
            _signature: inspect.Signature = signature,
            _refs: RefsOf = patch.refs,
            **kwargs: Any,
        ) -> Any:
            result = _original(*args, **kwargs)
            for ref in _refs(_signature.bind(*args, **kwargs).arguments, result):
                mark(ref)
            return result

        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(patch.owner, patch.name, wrapper)
        undo.append((patch.owner, patch.name, original))

    def uninstall() -> None:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)

    return uninstall


def scope_of(account_id: str, region: str) -> str:
    return f"{account_id}/{region}"


def backend_for(backends: Any, scope: str) -> Any:
    account_id, region = scope.split("/", 1)
    return backends[account_id][region]


def to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, bytes):
            return {"__bytes__": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, datetime):
            return obj.isoformat()
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

    return json.dumps(value, default=default, sort_keys=True)


def from_json(text: str) -> Any:
    def hook(obj: dict[str, Any]) -> Any:
        if set(obj) == {"__bytes__"}:
            return base64.b64decode(obj["__bytes__"])
        return obj

    return json.loads(text, object_hook=hook)


def iso(moment: datetime | None) -> str | None:
    """An aware ISO timestamp (moto keeps naive UTC datetimes in places)."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
