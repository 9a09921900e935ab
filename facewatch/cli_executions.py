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

from facewatch.cli_common import (
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
    """List executions: status, person, camera, start time, notified or suppressed."""
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
    if workflow is Workflow.indexing:
        table = Table("started", "status", "event")
        table.add_column("execution", overflow="fold")
        for e in executions:
            table.add_row(
                f"{e['startDate']:%Y-%m-%d %H:%M:%S}",
                e["status"],
                _indexing_key(target, e),
                e["name"],
            )
    else:
        table = Table("started", "status", "person", "camera", "outcome")
        table.add_column("execution", overflow="fold")  # whole: `executions show` needs it
        for e in executions:
            audits = audit_records(target, e)
            table.add_row(
                f"{e['startDate']:%Y-%m-%d %H:%M:%S}",
                e["status"],
                ", ".join(sorted({person_of(a) for a in audits})) or "-",
                ", ".join(sorted({str(a.get("camera", "?")) for a in audits})) or "-",
                ", ".join(sorted({str(a.get("outcome", "?")) for a in audits})) or "-",
                e["name"],
            )
    console().print(table if executions else "no executions yet")


def _execution_arn(target: Target, workflow: Workflow, execution: str) -> str:
    if execution.startswith("arn:"):
        return execution
    machine = _state_machine(target, workflow)
    # arn:...:stateMachine:<name>  ->  arn:...:execution:<name>:<execution name>
    return machine.replace(":stateMachine:", ":execution:") + f":{execution}"


def _short(value: Any, full: bool, width: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    with contextlib.suppress(TypeError, ValueError):  # not JSON: shown as it is
        text = json.dumps(json.loads(text), indent=2 if full else None, ensure_ascii=False)
    return text if full or len(text) <= width else text[:width] + " ..."


def history_rows(events: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(state, event type, detail kind, detail) for each history event worth showing."""
    rows = []
    state = "-"
    for event in events:
        kind = event["type"]
        for key, details in event.items():
            if not key.endswith("EventDetails") or not isinstance(details, dict):
                continue
            if "name" in details and kind.endswith("StateEntered"):
                state = details["name"]
            if "error" in details or "cause" in details:
                cause = details.get("cause", "")
                rows.append((state, kind, "error", f"{details.get('error', '')} {cause}".strip()))
            elif "input" in details:
                rows.append((state, kind, "input", details["input"]))
            elif "output" in details:
                rows.append((state, kind, "output", details["output"]))
            elif "resource" in details:
                rows.append(
                    (
                        state,
                        kind,
                        "task",
                        f"{details.get('resourceType')}:{details.get('resource')}",
                    )
                )
        if kind.endswith("StateExited") and state != "-":
            state = "-"
    return rows


@executions_app.command("show")
@cli_errors
def show_command(
    execution: Annotated[str, typer.Argument(help="Execution name or ARN.")],
    workflow: Annotated[Workflow, typer.Option(help="Workflow of a bare name.")] = Workflow.match,
    full: Annotated[bool, typer.Option(help="Print inputs and outputs in full.")] = False,
    state_machine: StateMachineOpt = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    region: RegionOpt = None,
    root: RootOpt = None,
) -> None:
    """Show one execution state by state: inputs, outputs, errors."""
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
        console().print(f"[red]{description.get('error', '')}[/] {description.get('cause', '')}")
    table = Table("state", "event", "", "detail", show_lines=full)
    for state, kind, label, detail in history_rows(events):
        style = "red" if label == "error" else None
        table.add_row(state, kind, label, _short(detail, full), style=style)
    console().print(table)
