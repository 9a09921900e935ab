"""`--stack NAME`: the names come from `pulumi stack output --json` (faked here: the Pulumi
CLI cannot be installed on these machines), read by output name, never from console URLs."""

from __future__ import annotations

import fake_pulumi
import pytest

from facewatch.cli import common as cli_common

ACCOUNT = "123456789012"
MATCH_ARN = f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:facewatch-prod-match"
INDEXING_ARN = f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:facewatch-prod-indexing"
# What `pulumi stack output --json` prints for a deployed stack (names as __main__.py exports).
OUTPUTS = {
    "analysisMode": "edge",
    "region": "eu-west-1",
    "facesBucket": "storage-faces-1a2b3c4",
    "auditBucket": "storage-audit-5d6e7f8",
    "collectionId": "facewatch-prod",
    "dataStream": "analysis-data-9a8b7c6",
    "registryTable": "tables-registry-0f1e2d3",
    "deadLetterQueueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/workflow-dlq-1",
    "matchStateMachineArn": MATCH_ARN,
    "indexingStateMachineArn": INDEXING_ARN,
    # The console URLs are for people; a URL that disagrees must not be used.
    "matchExecutionsUrl": "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1"
    "#/statemachines/view/arn:aws:states:eu-west-1:1:stateMachine:stale-match",
    "indexingExecutionsUrl": "https://eu-west-1.console.aws.amazon.com/states/home"
    "#/statemachines/view/arn:aws:states:eu-west-1:1:stateMachine:stale-indexing",
}


@pytest.fixture
def pulumi_cli(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """A fake `pulumi` on PATH whose `stack output --json` prints OUTPUTS; records commands."""
    return fake_pulumi.install(monkeypatch, OUTPUTS)


def test_stack_target_takes_every_name_from_its_output(pulumi_cli: list[list[str]]) -> None:
    target = cli_common.resolve_target(stack="prod")

    assert pulumi_cli == [["pulumi", "stack", "output", "--json", "--stack", "prod"]]
    assert target.origin == "stack"
    assert target.endpoint_url is None
    assert target.region == "eu-west-1"
    assert target.registry_table == "tables-registry-0f1e2d3"
    assert target.match_state_machine_arn == MATCH_ARN
    assert target.indexing_state_machine_arn == INDEXING_ARN
    assert (target.faces_bucket, target.audit_bucket) == (
        "storage-faces-1a2b3c4",
        "storage-audit-5d6e7f8",
    )
    assert (target.collection_id, target.data_stream) == ("facewatch-prod", "analysis-data-9a8b7c6")


def test_current_stack_reads_the_selected_stack(pulumi_cli: list[list[str]]) -> None:
    cli_common.resolve_target(stack="current")

    assert pulumi_cli == [["pulumi", "stack", "output", "--json"]]


def test_console_urls_alone_give_no_state_machine() -> None:
    # A stack from before the ARN outputs: the CLI says what is missing instead of guessing.
    urls_only = {k: v for k, v in OUTPUTS.items() if not k.endswith("StateMachineArn")}

    target = cli_common.target_from_outputs(urls_only, "stack")

    assert target.match_state_machine_arn is None
    with pytest.raises(cli_common.CliError, match="match state machine arn"):
        target.require("match_state_machine_arn", "--state-machine")


def test_flags_still_win_over_the_stack_outputs(pulumi_cli: list[list[str]]) -> None:
    target = cli_common.resolve_target(stack="prod", region="eu-west-3", faces_bucket="other")

    assert (target.region, target.faces_bucket) == ("eu-west-3", "other")
    assert target.match_state_machine_arn == MATCH_ARN


def test_output_that_is_not_json_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pulumi.install(monkeypatch, OUTPUTS, stdout="oops")

    with pytest.raises(cli_common.CliError, match="printed no JSON"):
        cli_common.stack_outputs("prod")
