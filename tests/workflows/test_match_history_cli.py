"""`facewatch executions show | list` on a real match execution (all five channels), at 80
columns: one short line per state, Parallel branches and Map iterations named."""

from __future__ import annotations

from typing import Any

from match_fixtures import (  # noqa: F401  (pytest fixtures)
    HttpEndpoint,
    MatchHarness,
    aws_env,
    harness,
    http_endpoint,
    sighting,
)
from match_records import REGION
from typer.testing import CliRunner

from facewatch.cli import app

CHANNEL_TASKS = ["SendHtmlEmail", "PublishSns", "PostSlack", "PostWebhook", "SendWhatsApp"]


def _notified(h: MatchHarness) -> dict[str, Any]:
    h.enrol("people/lin.png", "Lin-Manuel Miranda", "people_lin.png")
    result = h.run([sighting("front-door", "people_lin.png")])
    assert result["status"] == "SUCCEEDED", h.explain(result)
    return result


def _cli(h: MatchHarness, *args: str, columns: int = 80) -> str:
    result = CliRunner().invoke(
        app,
        [*args, "--state-machine", h.state_machine_arn, "--region", REGION],
        env={"COLUMNS": str(columns), "FACEWATCH_HOME": "/nonexistent-facewatch-home"},
    )
    assert result.exit_code == 0, result.output
    return str(result.output)


def _rows(output: str) -> dict[str, str]:
    return {line.split()[0]: line for line in output.splitlines()[2:] if line.strip()}


def test_show_summary_fits_80_columns_in_a_bounded_number_of_lines(
    harness: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given a notified match with every channel
    result = _notified(harness)
    # when it is shown at 80 columns
    output = _cli(harness, "executions", "show", result["name"])
    # then no line is wider than the terminal, and there is a line per state, not per event
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= 80, output
    assert len(lines) < 60, output
    assert '"Records"' not in output  # no state's input or output in the summary


def test_show_summary_names_every_parallel_branch_state_under_its_parent(
    harness: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given a notified match; when shown
    output = _cli(harness, "executions", "show", _notified(harness)["name"])
    rows = _rows(output)
    # then each channel's task is named (not "-"), indented below the Parallel state
    notify = next(line for line in output.splitlines() if line.lstrip().startswith("Notify"))
    depth = len(notify) - len(notify.lstrip())
    for task in CHANNEL_TASKS:
        line = next(line for line in output.splitlines() if line.lstrip().startswith(task))
        assert len(line) - len(line.lstrip()) > depth, output
        assert " ok " in line, line
    assert "-" not in rows  # no state without a name
    # and the Map iteration is numbered
    assert any(line.lstrip().startswith("LookupPerson [0]") for line in output.splitlines())


def test_show_full_still_prints_inputs_and_outputs(
    harness: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given a notified match; when shown with --full (wide terminal)
    output = _cli(harness, "executions", "show", _notified(harness)["name"], "--full", columns=250)
    # then the states' inputs and outputs are there, branch states named
    assert '"Records"' in output
    assert any(
        line.startswith("│ PostSlack ") and " output " in line for line in output.splitlines()
    ), output


def test_list_fits_80_columns_and_keeps_the_whole_execution_name(
    harness: MatchHarness, http_endpoint: HttpEndpoint
) -> None:
    # given a notified match
    result = _notified(harness)
    # when listed at 80 columns (with its audit records)
    output = _cli(harness, "executions", "list", "--audit-bucket", harness.settings.audit_bucket)
    # then no line is wider, the name is whole on a line of its own, the outcome is there
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= 80, output
    assert f"  {result['name']}" in lines, output
    assert "Lin-Manuel Miranda  front-door  notified" in lines[0], output
