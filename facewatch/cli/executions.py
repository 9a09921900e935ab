"""`facewatch executions list | show`: what the Step Functions console shows, in a terminal.

`list` joins each match execution with its audit records (`audit/YYYY/MM/DD/<execution
name>/...` in the audit bucket) for the person, camera and notified/suppressed outcome;
`show` walks GetExecutionHistory state by state with inputs, outputs and errors.
"""

from __future__ import annotations

import contextlib
import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from facewatch.cli.common import (
    AuditBucketOpt,
    CliError,
    EndpointOpt,
    RegionOpt,
    RootOpt,
    StackOpt,
    StateMachineOpt,
    Target,
    cli_errors,
    console,
    resolve_target,
)
from facewatch.execution_history import StateVisit, one_line, state_visits, tree_order

executions_app = typer.Typer(
    name="executions",
    help="Inspect match and indexing workflow executions.",
    no_args_is_help=True,
    add_completion=False,
)


class Workflow(StrEnum):
    match = "match"
    indexing = "indexing"


# The Target field holding each workflow's state machine (`--state-machine` overrides it).
STATE_MACHINE_FIELD = {
    Workflow.match: "match_state_machine_arn",
    Workflow.indexing: "indexing_state_machine_arn",
}


def _target(workflow: Workflow, state_machine: str | None, **kwargs: Any) -> Target:
    return resolve_target(**kwargs, **{STATE_MACHINE_FIELD[workflow]: state_machine})


def _state_machine(target: Target, workflow: Workflow) -> str:
    return target.require(STATE_MACHINE_FIELD[workflow], "--state-machine")


def audit_records(target: Target, execution: dict[str, Any]) -> list[dict[str, Any]]:
    """The audit documents one match execution wrote."""
    if not target.audit_bucket:
        return []
    start = execution["startDate"]
    prefix = f"audit/{start:%Y/%m/%d}/{execution['name']}/"
    s3 = target.client("s3")
    contents = s3.list_objects_v2(Bucket=target.audit_bucket, Prefix=prefix).get("Contents", [])
    records = []
    for obj in sorted(contents, key=lambda o: o["Key"]):
        body = s3.get_object(Bucket=target.audit_bucket, Key=obj["Key"])["Body"].read()
        try:
            document = json.loads(body)
        except ValueError:
            continue
        if isinstance(document, dict):
            records.append({**document, "_key": obj["Key"]})
    return records


def person_of(audit: dict[str, Any]) -> str:
    person = audit.get("person")
    if isinstance(person, dict):
        return str(person.get("Name") or "?")
    return str(person or "?")


def list_executions(
    target: Target, workflow: Workflow, limit: int, status: str | None = None
) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {"stateMachineArn": _state_machine(target, workflow)}
    sfn = target.client("stepfunctions")
    if status:
        kwargs["statusFilter"] = status.upper()
    executions: list[dict[str, Any]] = []
    try:
        for page in sfn.get_paginator("list_executions").paginate(**kwargs):
            executions.extend(page["executions"])
            if len(executions) >= limit:
                break
    except sfn.exceptions.StateMachineTypeNotSupported:
        # ListExecutions refuses EXPRESS machines (workflowType EXPRESS): Step Functions keeps
        # no history of their executions, only the logs the stack sends to this log group.
        machine = kwargs["stateMachineArn"].rsplit(":", 1)[-1]
        raise CliError(
            f"the {workflow.value} state machine is EXPRESS: Step Functions lists no executions",
            f"read them in CloudWatch Logs, log group /aws/vendedlogs/states/{machine}",
        ) from None
    executions.sort(key=lambda e: e["startDate"], reverse=True)
    return executions[:limit]


def _indexing_key(target: Target, execution: dict[str, Any]) -> str:
    description = target.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]
    )
    try:
        event = json.loads(description.get("input") or "{}")
        return f"{event['detail-type']}: {event['detail']['object']['key']}"
    except (KeyError, TypeError, ValueError):
        return "?"


@executions_app.command("list")
@cli_errors
def list_command(
    workflow: Annotated[Workflow, typer.Option(help="Which workflow.")] = Workflow.match,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 20,
    status: Annotated[
        str | None, typer.Option(help="RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.")
    ] = None,
    state_machine: StateMachineOpt = None,
    audit_bucket: AuditBucketOpt = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    region: RegionOpt = None,
    root: RootOpt = None,
) -> None:
    """List executions, newest first: start time, status, person, camera and outcome, then the
    execution's name (what `executions show` takes)."""
    target = _target(
        workflow,
        state_machine,
        endpoint_url=endpoint_url,
        stack=stack,
        region=region,
        root=root,
        audit_bucket=audit_bucket,
    )
    executions = list_executions(target, workflow, limit, status)
    out = console()
    if not executions:
        out.print("no executions yet")
    for e in executions:
        if workflow is Workflow.indexing:
            about = _indexing_key(target, e)
        else:
            audits = audit_records(target, e)
            about = "  ".join(
                ", ".join(sorted(values)) or "-"
                for values in (
                    {person_of(a) for a in audits},
                    {str(a.get("camera", "?")) for a in audits},
                    {str(a.get("outcome", "?")) for a in audits},
                )
            )
        # Two lines an execution: what happened (cut to the terminal's width), then the whole
        # name that `executions show` takes (a UUID for the Pipe's executions).
        line = Text(f"{e['startDate']:%Y-%m-%d %H:%M:%S}  {e['status']:<9}  ")
        line.append(about, style="bold")
        out.print(line, no_wrap=True, overflow="ellipsis", soft_wrap=False)
        out.print(f"  {e['name']}", style="dim", highlight=False)


def _execution_arn(target: Target, workflow: Workflow, execution: str) -> str:
    if execution.startswith("arn:"):
        return execution
    machine = _state_machine(target, workflow)
    # arn:...:stateMachine:<name>  ->  arn:...:execution:<name>:<execution name>
    return machine.replace(":stateMachine:", ":execution:") + f":{execution}"


def _pretty(text: str) -> str:
    with contextlib.suppress(TypeError, ValueError):  # not JSON: shown as it is
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return text


def _summary_table(visits: list[StateVisit]) -> Table:
    """One row per state entered: indented by nesting, its task, and how it ended."""
    table = Table("state", "status", "task / error", box=None, header_style="bold")
    for column in table.columns:
        column.no_wrap, column.overflow = True, "ellipsis"
    table.columns[0].max_width = 40
    for visit in tree_order(visits):
        label = "  " * visit.depth + visit.name
        if visit.iteration is not None and visit.parent is not None and visit.depth:
            label += f" [{visit.iteration}]" if visit.parent.kind == "Map" else ""
        style = {"failed": "red", "caught": "yellow"}.get(visit.status)
        table.add_row(label, visit.status, one_line(visit.error or visit.resource), style=style)
    return table


def _full_table(visits: list[StateVisit]) -> Table:
    table = Table("state", "event", "", "detail", show_lines=True)
    for visit in visits:
        for kind, label, text in visit.details:
            style = "red" if label == "error" else None
            table.add_row(visit.name, kind, label, _pretty(text), style=style)
    return table


@executions_app.command("show")
@cli_errors
def show_command(
    execution: Annotated[str, typer.Argument(help="Execution name or ARN.")],
    workflow: Annotated[Workflow, typer.Option(help="Workflow of a bare name.")] = Workflow.match,
    full: Annotated[
        bool,
        typer.Option(help="Every state's input, output and errors in full (default: a summary)."),
    ] = False,
    state_machine: StateMachineOpt = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    region: RegionOpt = None,
    root: RootOpt = None,
) -> None:
    """Show one execution state by state: a summary line per state, or everything (--full)."""
    target = _target(
        workflow, state_machine, endpoint_url=endpoint_url, stack=stack, region=region, root=root
    )
    arn = _execution_arn(target, workflow, execution)
    sfn = target.client("stepfunctions")
    try:
        description = sfn.describe_execution(executionArn=arn)
    except sfn.exceptions.ExecutionDoesNotExist:
        raise CliError(f"no execution {execution!r}", "see `facewatch executions list`") from None
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events.extend(page["events"])
    console().print(
        f"[bold]{description['name']}[/]  {description['status']}  "
        f"started {description['startDate']:%Y-%m-%d %H:%M:%S}"
    )
    if description.get("error") or description.get("cause"):
        failure = Text(description.get("error", ""), style="red")
        failure.append(
            " " + (description.get("cause", "") if full else one_line(description.get("cause", "")))
        )
        # The summary stays one line per item at any width; --full keeps the whole cause.
        console().print(failure, no_wrap=not full, overflow="ellipsis", soft_wrap=full)
    visits = state_visits(events)
    console().print(_full_table(visits) if full else _summary_table(visits))
