"""Tables: the face registry (indexing workflow's mappings) and the dedupe table.

Both on-demand, encrypted with the stack key. Key schema per team.md: partition key `pk`
(S) only; the dedupe table expires items through TTL attribute `expiresAt` (epoch seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from facewatch.workflows.records import DEDUPE_TTL_ATTRIBUTE


@dataclass(frozen=True)
class TablesArgs:
    key_arn: pulumi.Input[str]


class Tables(pulumi.ComponentResource):
    registry: aws.dynamodb.Table
    dedupe: aws.dynamodb.Table

    def __init__(
        self, name: str, args: TablesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("facewatch:infra:Tables", name, None, opts)
        # The registry is the only record of which faces belong to which photo: recoverable
        # to any second of the last 35 days.
        self.registry = self._table(f"{name}-registry", args, point_in_time_recovery=True, ttl=None)
        # Dedupe entries live minutes; TTL removes them (lazily, so the workflow's condition
        # also checks the expiry itself).
        self.dedupe = self._table(
            f"{name}-dedupe", args, point_in_time_recovery=False, ttl=DEDUPE_TTL_ATTRIBUTE
        )
        self.register_outputs(
            {"registryTable": self.registry.name, "dedupeTable": self.dedupe.name}
        )

    def _table(
        self, name: str, args: TablesArgs, *, point_in_time_recovery: bool, ttl: str | None
    ) -> aws.dynamodb.Table:
        ttl_spec: aws.dynamodb.TableTtlArgsDict | None = (
            {"attribute_name": ttl, "enabled": True} if ttl else None
        )
        return aws.dynamodb.Table(
            name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            attributes=[{"name": "pk", "type": "S"}],
            server_side_encryption={"enabled": True, "kms_key_arn": args.key_arn},
            point_in_time_recovery={"enabled": point_in_time_recovery},
            ttl=ttl_spec,
            opts=pulumi.ResourceOptions(parent=self),
        )
