"""Run `__main__.py` under `pulumi.runtime.set_mocks` and record what it declares.

`run_stack(values, secrets=...)` sets the stack configuration the way `pulumi config set`
stores it (plain strings, JSON for objects and lists, secrets flagged), executes the
program in-process with `runpy`, waits for every pending output, and returns the
resources (type, logical name, resolved inputs, mock outputs) and the resolved stack
outputs with their secret flags.

The mocks give each resource the computed attributes AWS would (ARNs, names, URLs),
deterministic per logical name, so tests can assert exact policy resources.
"""

from __future__ import annotations

import hashlib
import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "__main__.py"
ACCOUNT = "123456789012"
PARTITION = "aws"


@dataclass
class Declared:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    # Top-level inputs that reached the engine as secrets (encrypted in the state).
    secret_inputs: set[str] = field(default_factory=set)


@dataclass
class StackRun:
    region: str
    resources: list[Declared] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)

    def of_type(self, type_: str) -> list[Declared]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Declared:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"{type_} {name}: {[r.name for r in self.of_type(type_)]}"
        return found[0]

    def named(self, name: str) -> Declared:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"{name}: {[r.name for r in self.resources]}"
        return found[0]

    def count(self, type_: str) -> int:
        return len(self.of_type(type_))


# How the engine protocol marks a secret value: {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _reveal(value: Any) -> tuple[Any, bool]:
    """The value without secret wrappers, and whether any part of it was secret."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return _reveal(value["value"])[0], True
        pairs = {k: _reveal(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_reveal(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _physical(name: str) -> str:
    """What auto-naming would produce: the logical name plus a stable suffix."""
    return f"{name}-{hashlib.sha1(name.encode()).hexdigest()[:7]}"


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, run: StackRun) -> None:
        self.run = run

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        region, typ = self.run.region, args.typ
        revealed = {key: _reveal(value) for key, value in args.inputs.items()}
        inputs = {key: value for key, (value, _) in revealed.items()}
        secret = {key for key, (_, is_secret) in revealed.items() if is_secret}
        out = dict(inputs)
        name = str(inputs.get("name") or _physical(args.name))
        arn_prefix = f"arn:{PARTITION}"
        computed: dict[str, dict[str, Any]] = {
            "aws:kms/key:Key": {"arn": f"{arn_prefix}:kms:{region}:{ACCOUNT}:key/{args.name}",
                                "keyId": args.name},
            "aws:s3/bucket:Bucket": {"bucket": name, "arn": f"{arn_prefix}:s3:::{name}"},
            "aws:dynamodb/table:Table": {
                "name": name, "arn": f"{arn_prefix}:dynamodb:{region}:{ACCOUNT}:table/{name}"},
            "aws:kinesis/stream:Stream": {
                "name": name, "arn": f"{arn_prefix}:kinesis:{region}:{ACCOUNT}:stream/{name}"},
            "aws:kinesis/videoStream:VideoStream": {
                "arn": f"{arn_prefix}:kinesisvideo:{region}:{ACCOUNT}:stream/{name}/1700000000000"},
            "aws:sqs/queue:Queue": {
                "name": name, "arn": f"{arn_prefix}:sqs:{region}:{ACCOUNT}:{name}",
                "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{name}"},
            "aws:sns/topic:Topic": {"name": name,
                                    "arn": f"{arn_prefix}:sns:{region}:{ACCOUNT}:{name}"},
            "aws:sfn/stateMachine:StateMachine": {
                "arn": f"{arn_prefix}:states:{region}:{ACCOUNT}:stateMachine:{name}"},
            "aws:lambda/function:Function": {
                "arn": f"{arn_prefix}:lambda:{region}:{ACCOUNT}:function:{name}"},
            "aws:cloudwatch/eventConnection:EventConnection": {
                "name": name,
                "arn": f"{arn_prefix}:events:{region}:{ACCOUNT}:connection/{name}/0000-1111",
                "secretArn": f"{arn_prefix}:secretsmanager:{region}:{ACCOUNT}:secret:"
                f"events!connection/{name}/0000-1111-AbCdEf"},
            "aws:cloudwatch/eventRule:EventRule": {
                "name": name, "arn": f"{arn_prefix}:events:{region}:{ACCOUNT}:rule/{name}"},
            "aws:cloudwatch/logGroup:LogGroup": {
                "name": name, "arn": f"{arn_prefix}:logs:{region}:{ACCOUNT}:log-group:{name}"},
            "aws:iam/role:Role": {"name": name, "arn": f"{arn_prefix}:iam::{ACCOUNT}:role/{name}"},
            "aws:iam/policy:Policy": {"name": name,
                                      "arn": f"{arn_prefix}:iam::{ACCOUNT}:policy/{name}"},
            "aws:rekognition/collection:Collection": {
                "arn": f"{arn_prefix}:rekognition:{region}:{ACCOUNT}:collection/"
                f"{inputs.get('collectionId')}"},
            "aws:rekognition/streamProcessor:StreamProcessor": {
                "arn": f"{arn_prefix}:rekognition:{region}:{ACCOUNT}:streamprocessor/{name}"},
            "aws:pipes/pipe:Pipe": {"name": name,
                                    "arn": f"{arn_prefix}:pipes:{region}:{ACCOUNT}:pipe/{name}"},
            "aws:cloudwatch/metricAlarm:MetricAlarm": {"name": name},
        }  # fmt: skip
        out.update(computed.get(typ, {}))
        self.run.resources.append(Declared(typ, args.name, inputs, out, secret))
        # A bucket's id is its name, as in the AWS provider.
        return str(out["bucket"]) if "bucket" in computed.get(typ, {}) else f"{args.name}-id", out

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/dev",
                    "id": ACCOUNT, "userId": "AIDEXAMPLE"}  # fmt: skip
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION,
                    "reverseDnsPrefix": "com.amazonaws"}  # fmt: skip
        raise AssertionError(f"unexpected invoke {args.token}")


def config_strings(values: dict[str, Any]) -> dict[str, str]:
    """What `pulumi config set` stores: strings; `--path`/JSON values as JSON text."""
    return {
        f"facewatch:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in values.items()
    }


def run_stack(
    values: dict[str, Any],
    *,
    secrets: dict[str, str] | None = None,
    region: str = "us-east-1",
    stack: str = "dev",
) -> StackRun:
    run = StackRun(region=region)
    secrets = secrets or {}
    pulumi_settings.ROOT.set(None)  # a fresh root Stack per run
    pulumi.runtime.set_mocks(RecordingMocks(run), project="facewatch", stack=stack, preview=False)
    config = {**config_strings(values), **config_strings(secrets), "aws:region": region}
    pulumi.runtime.set_all_config(config, [f"facewatch:{key}" for key in secrets])
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(MAIN), run_name="__main__")))
    root = pulumi_settings.get_root_resource()
    assert root is not None
    for key, value in root.outputs.items():  # type: ignore[attr-defined]
        output = pulumi.Output.from_input(value)
        run.outputs[key] = _sync_await(output.future())
        if _sync_await(output.is_secret()):
            run.secret_outputs.add(key)
    return run


def policy(declared: Declared, key: str = "policy") -> dict[str, Any]:
    document = declared.inputs[key]
    return json.loads(document) if isinstance(document, str) else document
