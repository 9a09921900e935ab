"""What every `facewatch` command shares: where to talk to, and one-line errors.

Target resolution (first that applies, explicit flags always win):
1. `--stack NAME` (`current` for the selected stack): `pulumi stack output --json`;
2. `--endpoint-url URL`, or a running local mode recorded in `<root>/local.json`;
3. the AWS defaults (profile, region) plus flags such as `--bucket`.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from facewatch.local.state import (
    UnverifiableProcess,
    default_root,
    is_facewatch_process,
    pid_alive,
    read_state,
)

USAGE_ERROR = 2
F = TypeVar("F", bound=Callable[..., Any])


class CliError(Exception):
    """A problem the user can fix: printed as `error: <what> (fix: <how>)`, exit 2."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message, self.fix = message, fix

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})"


def fail(error: CliError, code: int = USAGE_ERROR) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code)


# Options shared by the commands that talk to AWS or to the local mode.
EndpointOpt = Annotated[
    str | None,
    typer.Option(help="Local mode endpoint (default: the running `facewatch local up`)."),
]
StackOpt = Annotated[
    str | None,
    typer.Option(help="Read names from `pulumi stack output` of this stack ('current': selected)."),
]
RegionOpt = Annotated[str | None, typer.Option(help="AWS region (default: profile's).")]
RootOpt = Annotated[
    Path | None, typer.Option(help="Local mode state folder (default: .facewatch).")
]
BucketOpt = Annotated[str | None, typer.Option(help="Faces bucket (stack output facesBucket).")]
RegistryOpt = Annotated[str | None, typer.Option(help="Registry table (stack output).")]
AuditBucketOpt = Annotated[str | None, typer.Option(help="Audit bucket (stack output).")]
StateMachineOpt = Annotated[
    str | None, typer.Option(help="Match state machine ARN (stack output).")
]


@dataclass(frozen=True)
class Target:
    origin: str = "flags"
    region: str | None = None
    endpoint_url: str | None = None
    faces_bucket: str | None = None
    audit_bucket: str | None = None
    registry_table: str | None = None
    collection_id: str | None = None
    data_stream: str | None = None
    match_state_machine_arn: str | None = None
    indexing_state_machine_arn: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def require(self, attribute: str, flag: str) -> str:
        value = getattr(self, attribute)
        if not value:
            raise CliError(
                f"no {attribute.replace('_', ' ')} known for this target",
                f"pass {flag}, or --stack NAME to read the stack outputs, or start the "
                "local mode with `facewatch local up`",
            )
        return str(value)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.exceptions import NoRegionError

            from facewatch.aws_clients import client

            try:
                self._clients[service] = client(
                    service, region=self.region, endpoint_url=self.endpoint_url
                )
            except NoRegionError:
                raise CliError(
                    "no AWS region configured", "pass --region or set AWS_REGION"
                ) from None
        return self._clients[service]


# Stack output name -> Target field: the names `__main__.py` exports (the ARNs for tools;
# the console URLs next to them are for people and never parsed here).
STACK_OUTPUTS = {
    "region": "region",
    "facesBucket": "faces_bucket",
    "auditBucket": "audit_bucket",
    "registryTable": "registry_table",
    "collectionId": "collection_id",
    "dataStream": "data_stream",
    "matchStateMachineArn": "match_state_machine_arn",
    "indexingStateMachineArn": "indexing_state_machine_arn",
}


def stack_outputs(stack: str, flags: str = "--bucket and --region") -> dict[str, Any]:
    # `flags`: the calling command's options that can stand in for the outputs (error fix).
    if shutil.which("pulumi") is None:
        raise CliError(
            "the Pulumi CLI is not installed, so the stack outputs cannot be read",
            "install it (https://www.pulumi.com/docs/install/) or pass the names with flags "
            f"such as {flags}",
        )
    command = ["pulumi", "stack", "output", "--json"]
    if stack != "current":
        command += ["--stack", stack]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise CliError(
            f"`{' '.join(command)}` failed: {detail[-1] if detail else 'no output'}",
            "run it from the project folder, after `pulumi up`, with a valid stack name",
        )
    try:
        outputs = json.loads(done.stdout or "{}")
    except json.JSONDecodeError as error:
        raise CliError(
            f"`{' '.join(command)}` printed no JSON ({error})",
            "check that the Pulumi CLI works: run the command yourself",
        ) from None
    return outputs if isinstance(outputs, dict) else {}


def target_from_outputs(outputs: dict[str, Any], origin: str) -> Target:
    values = {name: outputs[key] for key, name in STACK_OUTPUTS.items() if outputs.get(key)}
    if outputs.get("endpointUrl"):
        values["endpoint_url"] = outputs["endpointUrl"]
    return Target(origin=origin, **values)


def running_local(root: Path | None) -> dict[str, Any] | None:
    state = read_state(root or default_root())
    if not (state and isinstance(state.get("pid"), int) and pid_alive(state["pid"])):
        return None
    # After a crash the pid in local.json may belong to another process by now.
    try:
        return state if is_facewatch_process(state["pid"]) else None
    except UnverifiableProcess:
        return state  # cannot tell on this system: trust the state file, as before


def resolve_target(
    *,
    endpoint_url: str | None = None,
    stack: str | None = None,
    region: str | None = None,
    root: Path | None = None,
    **overrides: str | None,
) -> Target:
    if stack:
        target = target_from_outputs(stack_outputs(stack), "stack")
    else:
        # Resource flags name a deployed stack's resources (the stack's enrolCommand passes
        # them): they win over a local mode that happens to be running.
        explicit_flags = region is not None or any(overrides.values())
        state = None if explicit_flags and not endpoint_url else running_local(root)
        if endpoint_url or state:
            if state is None:
                # An endpoint without a state file: the local mode's fixed resource names.
                from facewatch.local.resources import LocalResources

                state = LocalResources().describe(endpoint_url or "")
            target = target_from_outputs(state, "local")
            if not endpoint_url and state and not state.get("endpointUrl"):
                raise CliError("the local mode state file has no endpoint", "facewatch local up")
            if endpoint_url:
                target = replace(target, endpoint_url=endpoint_url)
            if not target.region:
                target = replace(target, region="us-east-1")
        else:
            target = Target(origin="flags")
    known = {f.name for f in fields(Target)}
    changes = {k: v for k, v in overrides.items() if v and k in known}
    if region:
        changes["region"] = region
    return replace(target, **changes)


def execution_summary(sfn: Any, state_machine_arn: str) -> str:
    """A state machine's executions counted by status: `1 failed, 5 succeeded`, or `none`."""
    counts: Counter[str] = Counter()
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
        counts.update(execution["status"] for execution in page["executions"])
    return ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items())) or "none"


def cli_errors(function: F) -> F:
    """Turn the errors a user can fix into one line and exit code 2."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            NoRegionError,
        )

        try:
            return function(*args, **kwargs)
        except CliError as error:
            raise fail(error) from None
        except EndpointConnectionError as error:
            raise fail(
                CliError(
                    f"cannot reach {error.kwargs.get('endpoint_url', 'the endpoint')}",
                    "start the local mode with `facewatch local up`, or check --endpoint-url",
                )
            ) from None
        except NoCredentialsError:
            raise fail(
                CliError("no AWS credentials found", "run `aws configure` or set AWS_PROFILE")
            ) from None
        except NoRegionError:
            raise fail(CliError("no AWS region configured", "pass --region")) from None
        except ClientError as error:
            info = error.response.get("Error", {})
            raise fail(
                CliError(
                    f"{info.get('Code', 'AWS error')}: {info.get('Message', error)}",
                    "check the names passed (or the stack outputs) and your permissions",
                )
            ) from None

    return wrapper  # type: ignore[return-value]


def console() -> Any:
    """A rich console sized to the terminal at call time (COLUMNS is read then).

    soft_wrap: a line longer than the terminal (an S3 path, a channel list) is left for the
    terminal to fold instead of being broken by rich at 80 columns, which splits paths when
    the output goes to a file or a CI log.
    """
    from rich.console import Console

    return Console(soft_wrap=True)
