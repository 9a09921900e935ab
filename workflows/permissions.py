"""Least-privilege IAM statements derived from a state machine definition.

`policy_statements` walks every Task state (also inside Map and Parallel states) and turns
its Resource and Parameters into the IAM actions and resource ARNs that call needs: the
state machine role gets exactly what the definition uses. Only integrations listed here are
known; any other Task raises `UnsupportedTaskError` instead of being guessed, and a resource
named at run time (``TableName.$``, ``Bucket.$``, ...) raises `DynamicResourceError`, since
its permission could not be scoped. No statement ever has a ``*`` action.

Logging and X-Ray permissions are not derived here (AWS requires Resource "*" for them;
`infra/` adds them with the reason written next to them), nor KMS (the stack key's
``kms:ViaService`` statements live in `infra/`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from facewatch.workflows.settings import AwsEnvironment

Statement = dict[str, Any]
Params = dict[str, Any]


class UnsupportedTaskError(ValueError):
    """A Task whose permissions this module does not know."""


class DynamicResourceError(ValueError):
    """A Task that names its resource at run time, so its permission cannot be scoped."""


@dataclass(frozen=True)
class Grant:
    action: str
    resource: str
    condition: str | None = None  # JSON of the IAM Condition block, hashable


_STATES_PREFIX = "arn:aws:states:::"
_FORMAT_PREFIX = re.compile(r"^States\.Format\('((?:[^'{\\]|\\.)*)")


def iter_task_states(
    states: dict[str, Any], path: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Task state, as (dotted name, state), including nested Map/Parallel states."""
    for name, state in states.items():
        where = f"{path}{name}"
        kind = state.get("Type")
        if kind == "Task":
            yield where, state
        elif kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            yield from iter_task_states(processor.get("States", {}), f"{where}/")
        elif kind == "Parallel":
            for index, branch in enumerate(state.get("Branches", [])):
                yield from iter_task_states(branch.get("States", {}), f"{where}[{index}]/")


class _Scope:
    """Resource ARNs of one environment, from the static names in Parameters."""

    def __init__(self, env: AwsEnvironment, state: str, params: Params) -> None:
        self.env = env
        self.state = state
        self.params = params

    def static(self, *path: str) -> str:
        node: Any = self.params
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        field = path[-1]
        if isinstance(node, dict) and f"{field}.$" in node:
            raise DynamicResourceError(
                f"Task {self.state!r}: {'.'.join(path)} is chosen at run time "
                f"({field}.$); name it statically so its permission can be scoped"
            )
        if not isinstance(node, dict) or not isinstance(node.get(field), str):
            raise UnsupportedTaskError(f"Task {self.state!r}: missing {'.'.join(path)}")
        return str(node[field])

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.env.region if regional else ""
        account = self.env.account_id if regional else ""
        return f"arn:{self.env.partition}:{service}:{region}:{account}:{resource}"

    def table(self) -> list[str]:
        return [self.arn("dynamodb", f"table/{self.static('TableName')}")]

    def collection(self) -> list[str]:
        return [self.arn("rekognition", f"collection/{self.static('CollectionId')}")]

    def s3_object(self, *container: str, bucket: str = "Bucket", key: str = "Key") -> list[str]:
        name = self.static(*container, bucket)
        node: Any = self.params
        for part in container:
            node = node.get(part, {})
        if isinstance(node.get(key), str):
            suffix = node[key]
        else:
            # A key built as States.Format('prefix/{}...', ...) keeps its static prefix.
            match = _FORMAT_PREFIX.match(str(node.get(f"{key}.$", "")))
            suffix = (match.group(1) if match else "") + "*"
        return [f"arn:{self.env.partition}:s3:::{name}/{suffix}"]

    def queue(self) -> list[str]:
        url = self.static("QueueUrl")
        match = re.fullmatch(r"https://(?:sqs\.)?([a-z0-9-]+)\.[^/]+/(\d{12})/([^/]+)", url)
        if match is None:
            raise UnsupportedTaskError(f"Task {self.state!r}: cannot read queue URL {url!r}")
        region, account, name = match.groups()
        return [f"arn:{self.env.partition}:sqs:{region}:{account}:{name}"]

    def topic(self) -> list[str]:
        return [self.static("TopicArn")]

    def function(self) -> list[str]:
        name = self.static("FunctionName")
        if name.startswith("arn:"):
            base = ":".join(name.split(":")[:7])  # drop a version/alias qualifier
        else:
            base = self.arn("lambda", f"function:{name}")
        return [base, f"{base}:*"]

    def email_identities(self) -> list[str]:
        """The sender's identities (address and domain) and the recipients'.

        In the SES sandbox every recipient is a verified identity of the account, and SES
        then also checks the caller's ses:SendEmail on it: a role allowed only the sender's
        identities gets AccessDenied "not authorized to perform ses:SendEmail on resource
        ...:identity/<recipient>" (widely reported: aws/aws-sdk-js#3641,
        cloudposse/terraform-aws-ses#40). Naming the recipients' identities keeps the grant
        scoped and works in and out of the sandbox; they must be static to be named.
        """
        sender = self.static("FromEmailAddress")
        recipients = self.params.get("Destination", {}).get("ToAddresses")
        if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
            raise DynamicResourceError(
                f"Task {self.state!r}: Destination.ToAddresses must be a static list of "
                "addresses so the recipients' SES identities can be scoped"
            )
        resources: list[str] = []
        for named in (sender, *recipients):
            address = named.rsplit("<", 1)[-1].rstrip(">").strip()
            for identity in (address, address.rsplit("@", 1)[-1]):
                arn = self.arn("ses", f"identity/{identity}")
                if arn not in resources:
                    resources.append(arn)
        if "ConfigurationSetName" in self.params or "ConfigurationSetName.$" in self.params:
            name = self.static("ConfigurationSetName")
            resources.append(self.arn("ses", f"configuration-set/{name}"))
        return resources


Deriver = Callable[[_Scope], list[Grant]]


def _simple(action: str, resources: Callable[[_Scope], list[str]]) -> Deriver:
    return lambda scope: [Grant(action, r) for r in resources(scope)]


def _image_read(scope: _Scope) -> list[Grant]:
    # Rekognition reads an S3Object image with the caller's permissions: s3:GetObject.
    image = scope.params.get("Image", {})
    if "S3Object" not in image:
        return []
    resources = scope.s3_object("Image", "S3Object", bucket="Bucket", key="Name")
    return [Grant("s3:GetObject", r) for r in resources]


def _collection_action(action: str, reads_image: bool = False) -> Deriver:
    def derive(scope: _Scope) -> list[Grant]:
        grants = [Grant(action, r) for r in scope.collection()]
        return grants + (_image_read(scope) if reads_image else [])

    return derive


def _http_invoke(state_machine_arn: str | None) -> Deriver:
    def derive(scope: _Scope) -> list[Grant]:
        if state_machine_arn is None:
            raise UnsupportedTaskError(
                f"Task {scope.state!r} is an HTTP Task: pass state_machine_arn, the resource "
                "of states:InvokeHTTPEndpoint"
            )
        method = scope.static("Method")
        endpoint = scope.static("ApiEndpoint")
        connection = scope.static("Authentication", "ConnectionArn")
        condition = {"StringEquals": {"states:HTTPMethod": method, "states:HTTPEndpoint": endpoint}}
        # The connection keeps its credentials in a Secrets Manager secret named
        # events!connection/<connection name>/<id>, in the connection's account and region.
        parts = connection.split(":")
        connection_name = parts[5].split("/")[1] if len(parts) > 5 else "*"
        secret = (
            f"arn:{scope.env.partition}:secretsmanager:{parts[3]}:{parts[4]}:secret:"
            f"events!connection/{connection_name}/*"
        )
        return [
            Grant("states:InvokeHTTPEndpoint", state_machine_arn, json.dumps(condition)),
            Grant("events:RetrieveConnectionCredentials", connection),
            Grant("secretsmanager:GetSecretValue", secret),
            Grant("secretsmanager:DescribeSecret", secret),
        ]

    return derive


_AWS_SDK: dict[tuple[str, str], Deriver] = {
    ("rekognition", "indexFaces"): _collection_action("rekognition:IndexFaces", reads_image=True),
    ("rekognition", "deleteFaces"): _collection_action("rekognition:DeleteFaces"),
    ("rekognition", "searchFaces"): _collection_action("rekognition:SearchFaces"),
    ("rekognition", "searchFacesByImage"): _collection_action(
        "rekognition:SearchFacesByImage", reads_image=True
    ),
    ("rekognition", "listFaces"): _collection_action("rekognition:ListFaces"),
    ("rekognition", "describeCollection"): _collection_action("rekognition:DescribeCollection"),
    ("s3", "getObject"): _simple("s3:GetObject", lambda s: s.s3_object()),
    ("s3", "headObject"): _simple("s3:GetObject", lambda s: s.s3_object()),
    ("s3", "putObject"): _simple("s3:PutObject", lambda s: s.s3_object()),
    ("s3", "deleteObject"): _simple("s3:DeleteObject", lambda s: s.s3_object()),
    ("s3", "getObjectTagging"): _simple("s3:GetObjectTagging", lambda s: s.s3_object()),
    ("s3", "putObjectTagging"): _simple("s3:PutObjectTagging", lambda s: s.s3_object()),
    ("dynamodb", "getItem"): _simple("dynamodb:GetItem", _Scope.table),
    ("dynamodb", "putItem"): _simple("dynamodb:PutItem", _Scope.table),
    ("dynamodb", "deleteItem"): _simple("dynamodb:DeleteItem", _Scope.table),
    ("dynamodb", "updateItem"): _simple("dynamodb:UpdateItem", _Scope.table),
    ("dynamodb", "query"): _simple("dynamodb:Query", _Scope.table),
    ("sqs", "sendMessage"): _simple("sqs:SendMessage", _Scope.queue),
    ("sns", "publish"): _simple("sns:Publish", _Scope.topic),
    ("sesv2", "sendEmail"): _simple("ses:SendEmail", _Scope.email_identities),
    ("lambda", "invoke"): _simple("lambda:InvokeFunction", _Scope.function),
}

_OPTIMIZED: dict[str, Deriver] = {
    "sns:publish": _simple("sns:Publish", _Scope.topic),
    "sqs:sendMessage": _simple("sqs:SendMessage", _Scope.queue),
    "dynamodb:getItem": _simple("dynamodb:GetItem", _Scope.table),
    "dynamodb:putItem": _simple("dynamodb:PutItem", _Scope.table),
    "dynamodb:deleteItem": _simple("dynamodb:DeleteItem", _Scope.table),
    "dynamodb:updateItem": _simple("dynamodb:UpdateItem", _Scope.table),
    "lambda:invoke": _simple("lambda:InvokeFunction", _Scope.function),
}


def task_grants(
    name: str, state: dict[str, Any], env: AwsEnvironment, state_machine_arn: str | None = None
) -> list[Grant]:
    """The grants one Task state needs."""
    resource = state.get("Resource", "")
    params = state.get("Parameters") or state.get("Arguments") or {}
    if not isinstance(resource, str) or not resource.startswith(_STATES_PREFIX):
        raise UnsupportedTaskError(f"Task {name!r}: unknown resource {resource!r}")
    integration = resource[len(_STATES_PREFIX) :].removesuffix(".waitForTaskToken")
    scope = _Scope(env, name, params)
    if integration.startswith("aws-sdk:"):
        _, service, action = integration.split(":", 2)
        derive = _AWS_SDK.get((service, action))
    elif integration == "http:invoke":
        derive = _http_invoke(state_machine_arn)
    else:
        derive = _OPTIMIZED.get(integration)
    if derive is None:
        raise UnsupportedTaskError(
            f"Task {name!r}: no known permissions for {resource!r}; add it to "
            "workflows/permissions.py rather than granting a guess"
        )
    return derive(scope)


def _sid(actions: list[str]) -> str:
    services = dict.fromkeys(a.split(":")[0] for a in actions)
    words = [s.capitalize() for s in services] + [a.split(":")[1] for a in actions]
    return re.sub(r"[^A-Za-z0-9]", "", "".join(words))


def _merge_http_endpoints(statements: list[Statement]) -> list[Statement]:
    """One InvokeHTTPEndpoint statement per method, listing its endpoints (IAM ORs a list)."""
    merged: dict[tuple[str, str], Statement] = {}
    others: list[Statement] = []
    for statement in statements:
        equals = statement.get("Condition", {}).get("StringEquals", {})
        if statement["Action"] != ["states:InvokeHTTPEndpoint"] or len(statement["Condition"]) != 1:
            others.append(statement)
            continue
        key = (json.dumps(statement["Resource"]), equals["states:HTTPMethod"])
        if key not in merged:
            merged[key] = {**statement, "Condition": {"StringEquals": {**equals}}}
            merged[key]["Condition"]["StringEquals"]["states:HTTPEndpoint"] = []
        merged[key]["Condition"]["StringEquals"]["states:HTTPEndpoint"].append(
            equals["states:HTTPEndpoint"]
        )
    for statement in merged.values():
        statement["Condition"]["StringEquals"]["states:HTTPEndpoint"].sort()
    return others + list(merged.values())


def policy_statements(
    definition: dict[str, Any], env: AwsEnvironment, *, state_machine_arn: str | None = None
) -> list[Statement]:
    """IAM statements (Sid, Effect, Action, Resource[, Condition]) the definition needs."""
    grants: set[Grant] = set()
    for name, state in iter_task_states(definition.get("States", {})):
        grants.update(task_grants(name, state, env, state_machine_arn))

    # Actions on identical resources (and condition) share one statement.
    resources_of: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for grant in grants:
        resources_of[(grant.action, grant.condition)].add(grant.resource)
    actions_of: dict[tuple[tuple[str, ...], str | None], list[str]] = defaultdict(list)
    for (action, condition), resources in resources_of.items():
        actions_of[(tuple(sorted(resources)), condition)].append(action)

    statements: list[Statement] = []
    for (resources_key, condition), actions in actions_of.items():
        statement: Statement = {
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": list(resources_key),
        }
        if condition is not None:
            statement["Condition"] = json.loads(condition)
        statements.append(statement)
    statements = _merge_http_endpoints(statements)
    statements.sort(key=lambda s: (s["Action"], s["Resource"], json.dumps(s.get("Condition"))))

    seen: dict[str, int] = defaultdict(int)
    for statement in statements:
        sid = _sid(statement["Action"])
        seen[sid] += 1
        statement["Sid"] = sid if seen[sid] == 1 else f"{sid}{seen[sid]}"
    return [{"Sid": s.pop("Sid"), **s} for s in statements]
