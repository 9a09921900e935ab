"""JSON Schemas of the records facewatch reads and writes.

`stream_processor_record.json` describes one Kinesis Data Stream record in the
Amazon Rekognition stream processor face-search output format (the contract in
`workflows/records.py`); its `description` cites the AWS pages it follows.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

RECORD_SCHEMA_FILE = "stream_processor_record.json"


@cache
def record_schema() -> dict[str, Any]:
    """The stream processor record schema (draft 2020-12), loaded once."""
    text = resources.files(__package__).joinpath(RECORD_SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def record_validator() -> Draft202012Validator:
    return Draft202012Validator(record_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_record(record: dict[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` (the most relevant one) if `record` breaks the schema."""
    validator = record_validator()
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
    if errors:
        from jsonschema.exceptions import best_match

        raise best_match(errors)


def record_errors(record: dict[str, Any]) -> list[str]:
    """Every schema violation in `record`, as 'path: message' lines (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in record_validator().iter_errors(record)
    ]
