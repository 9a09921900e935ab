"""Structured logs: one `event=<name> key=value ...` line per event (logfmt), via `logging`."""

from __future__ import annotations

import logging
from typing import Any


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        value = f"{value:.3f}".rstrip("0").rstrip(".")
    text = str(value)
    if not text or any(c in text for c in ' "=\t\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def format_event(event: str, **fields: Any) -> str:
    parts = [f"event={event}"]
    parts.extend(f"{key}={_format_value(value)}" for key, value in fields.items())
    return " ".join(parts)


def log_event(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, format_event(event, **fields))


def configure_logging(level: int = logging.INFO) -> None:
    """Timestamped logfmt lines on stderr (idempotent; leaves other handlers alone)."""
    logger = logging.getLogger("facewatch")
    if not any(getattr(h, "_facewatch", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("ts=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
        )
        handler._facewatch = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
