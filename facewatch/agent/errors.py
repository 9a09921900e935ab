"""The agent's one error type: a one-line message plus the fix, printed by the CLI."""

from __future__ import annotations


class AgentError(Exception):
    """A condition the user must fix (bad source, credentials, missing resource).

    `str(error)` is a single line: "<what went wrong> (fix: <what to do>)".
    """

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.hint})"


def error_code(exc: BaseException) -> str | None:
    """The AWS error name of a botocore ClientError or a local engine error, else None."""
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        value = response.get("Error", {}).get("Code")
        return str(value) if value else None
    return None
