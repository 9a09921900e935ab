"""`executions show` and `executions list`: what the console shows, printed.

A tiny match-shaped state machine runs in moto (which executes JSONPath definitions): a
Pass state that resolves the person, then an aws-sdk S3 task that fails on a missing
bucket, failing the execution. The audit record the match workflow would
write for the execution is put in the audit bucket, where `executions list` reads the
person, camera and outcome.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from facewatch.cli import app

REGION = "us-east-1"
AUDIT = "facewatch-audit"
DEFINITION = {
    "StartAt": "ResolveName",
    "States": {
        "ResolveName": {
            "Type": "Pass",
            "Result": {"Name": "Ada Lovelace"},
            "ResultPath": "$.person",
            "Next": "ReadPhoto",
        },
        "ReadPhoto": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "no-such-bucket-for-facewatch", "Key": "ada.jpg"},
            "ResultPath": "$.photo",
            "End": True,
        },
    },
}


def run_execution(sfn: Any, machine: str, name: str, record: dict[str, Any]) -> dict[str, Any]:
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(record))[
        "executionArn"
    ]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.1)
    raise AssertionError(f"{name} still running")


@pytest.fixture(scope="module")
def executed() -> Any:
    """One failed execution and its audit record, in moto."""
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            iam = boto3.client("iam", region_name=REGION)
            role = iam.create_role(
                RoleName="match", AssumeRolePolicyDocument=json.dumps({"Statement": []})
            )["Role"]["Arn"]
            sfn = boto3.client("stepfunctions", region_name=REGION)
            machine = sfn.create_state_machine(
                name="facewatch-match", definition=json.dumps(DEFINITION), roleArn=role
            )["stateMachineArn"]
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket=AUDIT)
            record = {"camera": "stage", "similarity": 97.5}
            execution = run_execution(sfn, machine, "exec-ada-1", record)
            audit = {
                "outcome": "notified",
                "person": {"Name": "Ada Lovelace"},
                "camera": "stage",
                "similarity": 97.5,
            }
            s3.put_object(
                Bucket=AUDIT,
                Key=f"audit/{execution['startDate']:%Y/%m/%d}/exec-ada-1/record.json",
                Body=json.dumps(audit).encode(),
            )
            yield machine, execution


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


def rows_of(output: str, state: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"│ {state} ")]


def show(executed: Any, *extra: str) -> str:
    machine, _ = executed
    result = invoke(
        *["executions", "show", "exec-ada-1", "--state-machine", machine, "--region", REGION],
        *extra,
    )
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_the_execution_failed(executed: Any) -> None:
    # then: the fixture's execution really failed (what the next tests print)
    _, execution = executed
    assert execution["status"] == "FAILED"


def test_show_full_prints_each_states_input_and_output(executed: Any) -> None:
    # when
    output = show(executed, "--full")
    # then: the Pass state's input (the record) and output (with the person), pretty-printed
    resolve = rows_of(output, "ResolveName")
    assert any(" input " in r for r in resolve) and any(" output " in r for r in resolve)
    assert '"camera": "stage"' in output and '"Name": "Ada Lovelace"' in output
    # and the Task state's input
    assert any(" input " in r for r in rows_of(output, "ReadPhoto"))


def test_show_full_prints_the_error_of_the_failed_state(executed: Any) -> None:
    # when
    output = show(executed, "--full")
    # then: the failing task's row carries the S3 error
    errors = [r for r in rows_of(output, "ReadPhoto") if " error " in r]
    assert errors, output
    assert "TaskFailed" in errors[0]
    # moto spells it s3.NoSuchBucketException, AWS S3.NoSuchBucketException
    assert "NoSuchBucket" in errors[0] and "bucket does not exist" in errors[0]


def test_show_summary_puts_the_error_on_the_failed_states_line(executed: Any) -> None:
    # when shown without --full
    output = show(executed)
    # then the failed task has one line: its name, "failed" and the S3 error; no inputs
    [line] = [row for row in output.splitlines() if row.lstrip().startswith("ReadPhoto")]
    assert line.split()[1] == "failed" and "NoSuchBucket" in line
    [resolve] = [row for row in output.splitlines() if row.lstrip().startswith("ResolveName")]
    assert resolve.split()[1] == "ok" and "Ada Lovelace" not in output.split("\n", 2)[2]


def test_show_prints_the_status_of_the_execution(executed: Any) -> None:
    # when
    output = show(executed)
    # then
    assert output.splitlines()[0].startswith("exec-ada-1  FAILED  started ")


def test_list_prints_status_person_camera_and_outcome(executed: Any) -> None:
    # given
    machine, _ = executed
    # when
    result = invoke(
        *["executions", "list", "--state-machine", machine, "--audit-bucket", AUDIT],
        *["--region", REGION],
    )
    # then
    assert result.exit_code == 0, result.output
    summary, name = result.output.splitlines()
    assert [cell.strip() for cell in summary.split("  ")[1:] if cell.strip()] == [
        "FAILED",
        "Ada Lovelace",
        "stage",
        "notified",
    ]
    assert name == "  exec-ada-1"


def test_show_of_an_unknown_execution_is_one_line_with_the_fix(executed: Any) -> None:
    # given
    machine, _ = executed
    # when
    result = invoke("executions", "show", "nope", "--state-machine", machine, "--region", REGION)
    # then
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: no execution 'nope' (fix: see `facewatch executions list`)"
    )


@pytest.fixture(autouse=True)
def _no_local_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The names are passed as flags; make sure no running local mode could be picked up.
    monkeypatch.setenv("FACEWATCH_HOME", str(tmp_path / ".facewatch"))


def test_list_of_an_express_machine_says_where_its_executions_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a match state machine of type EXPRESS (workflowType EXPRESS), whose
    # ListExecutions AWS refuses with StateMachineTypeNotSupported
    from botocore.stub import Stubber

    from facewatch.cli.common import Target

    machine = f"arn:aws:states:{REGION}:123456789012:stateMachine:facewatch-dev-match"
    sfn = boto3.client(
        "stepfunctions", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(sfn)
    stubber.add_client_error(
        "list_executions",
        service_error_code="StateMachineTypeNotSupported",
        service_message="This operation is not supported by this type of state machine",
        expected_params={"stateMachineArn": machine},
    )
    monkeypatch.setattr(Target, "client", lambda self, service: sfn)
    # when
    with stubber:
        result = invoke("executions", "list", "--state-machine", machine, "--region", REGION)
    # then: one error line naming the log group the stack writes Express executions to
    assert result.exit_code == 2, result.output
    assert "state machine is EXPRESS" in result.output
    assert "/aws/vendedlogs/states/facewatch-dev-match" in result.output
