"""`facewatch faces add | list | remove`: enrolment through the faces bucket.

The steps themselves (upload with the name tag, wait for the indexing outcome, wait for the
faces of deleted photos to go) are `facewatch.enrolment`'s, which the demo uses too; this
module parses the options and prints the outcomes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from facewatch.cli_common import (
    BucketOpt,
    CliError,
    EndpointOpt,
    RegionOpt,
    RegistryOpt,
    RootOpt,
    StackOpt,
    Target,
    cli_errors,
    console,
    resolve_target,
)
from facewatch.enrolment import (
    EnrolmentError,
    IndexingTimeout,
    Registry,
    enrol,
    enrolled_name,
    prepare_upload,
    registry_entry,
    tags,
    upload,
    wait_faces_deleted,
)
from facewatch.workflows.indexing import STATUS_TAG

NAME_TAG = "name"
OUTCOME_TEXT = {
    "indexed": "indexed",
    "no-face": "no face found: use a photo with one clear, front-facing face",
    "several-faces": "several faces found: the largest was indexed, or crop the photo",
    "not-an-image": "not a JPEG or PNG image (faces add converts other formats)",
    "image-too-large": "over Rekognition's 15 MB (faces add shrinks such photos)",
}

faces_app = typer.Typer(
    name="faces",
    help="Enrol, list and remove people.",
    no_args_is_help=True,
    add_completion=False,
)


def person_name(
    key: str,
    tags: dict[str, str],
    external_image_id: str | None = None,
    enrolled: tuple[str, str] | None = None,
) -> str:
    """The workflow's rule (`workflows.indexing_registry`): the name `faces add` recorded while
    the tags give no other name than its tag form; else tag Key = object key, else tag `name`,
    else the ExternalImageId."""
    tag_name = tags.get(key) or tags.get(NAME_TAG)
    if enrolled is not None and tag_name in (None, enrolled[1]):
        return enrolled[0]
    return tag_name or external_image_id or key


def _name_registry(target: Target) -> Registry | None:
    if not target.registry_table:
        return None
    return Registry(target.client("dynamodb"), target.registry_table)


def _registry(target: Target, key: str) -> dict[str, Any]:
    if not target.registry_table:
        return {}
    return registry_entry(target.client("dynamodb"), target.registry_table, key)


def _target(
    stack: str | None,
    endpoint_url: str | None,
    region: str | None,
    root: Path | None,
    bucket: str | None,
    registry_table: str | None,
) -> Target:
    return resolve_target(
        endpoint_url=endpoint_url,
        stack=stack,
        region=region,
        root=root,
        faces_bucket=bucket,
        registry_table=registry_table,
    )


@faces_app.command("add")
@cli_errors
def add(
    photos: Annotated[
        list[Path],
        typer.Argument(help="Photos of ONE person: JPEG, PNG, or HEIC/WEBP/TIFF/... (converted)."),
    ],
    name: Annotated[
        str, typer.Option(help="The person's name, as alerts will show it (any text, <= 256).")
    ],
    prefix: Annotated[str, typer.Option(help="Key prefix in the faces bucket.")] = "",
    wait: Annotated[bool, typer.Option(help="Wait for the indexing outcome.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait per photo.")] = 120.0,
    bucket: BucketOpt = None,
    registry_table: RegistryOpt = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    region: RegionOpt = None,
    root: RootOpt = None,
) -> None:
    """Upload PHOTO(s) tagged with NAME and wait until each is indexed.

    Exit code 0 when every photo is indexed, 1 when one got another outcome (no-face,
    several-faces, not-an-image, image-too-large), 2 when the name or a photo is refused
    before anything is uploaded."""
    for photo in photos:
        if not photo.is_file():
            raise CliError(f"{photo} is not a file", "pass the path of a JPEG or PNG photo")
    target = _target(stack, endpoint_url, region, root, bucket, registry_table)
    registry = _name_registry(target)
    try:  # Every photo and the name are checked before the first upload.
        for photo in photos:
            prepare_upload(photo, name, registry)
    except EnrolmentError as error:
        raise CliError(error.message, error.fix) from None
    faces_bucket = target.require("faces_bucket", "--bucket")
    s3 = target.client("s3")
    failed = 0
    for photo in photos:
        try:
            if not wait:
                uploaded = upload(s3, faces_bucket, photo, name, prefix, registry)
                _print_note(photo, uploaded.photo.note())
                console().print(f"uploaded {photo} as s3://{faces_bucket}/{uploaded.key}")
                continue
            with console().status(f"indexing {photo.name} ..."):
                uploaded, status = enrol(
                    s3, faces_bucket, photo, name, prefix=prefix, timeout=timeout, registry=registry
                )
        except EnrolmentError as error:
            raise CliError(error.message, error.fix) from None
        except IndexingTimeout as error:
            raise CliError(str(error), error.fix) from None
        _print_note(photo, uploaded.photo.note())
        key = uploaded.key
        faces = _registry(target, key).get("FaceIds") or []
        if status == "indexed":
            face_text = f" (face {', '.join(faces)})" if faces else ""
            console().print(
                f"[green]indexed[/] {escape(str(photo))} as {escape(repr(uploaded.name))}: "
                f"{key}{face_text}"
            )
        else:
            failed += 1
            console().print(
                f"[red]{status}[/] {escape(str(photo))}: {OUTCOME_TEXT.get(status, status)}"
            )
    if failed:
        raise typer.Exit(1)


def _print_note(photo: Path, note: str | None) -> None:
    if note:
        console().print(f"{photo}: {note}", markup=False)


def _objects(s3: Any, bucket: str) -> list[dict[str, Any]]:
    paginator = s3.get_paginator("list_objects_v2")
    return [obj for page in paginator.paginate(Bucket=bucket) for obj in page.get("Contents", [])]


def enrolled(target: Target) -> list[dict[str, Any]]:
    """Every photo of the faces bucket: key, name, status, face ids."""
    bucket = target.require("faces_bucket", "--bucket")
    s3 = target.client("s3")
    names = _name_registry(target)
    rows = []
    for obj in _objects(s3, bucket):
        key = obj["Key"]
        object_tags = tags(s3, bucket, key)
        registry = _registry(target, key)
        enrolled = enrolled_name(names, key) if names else None
        rows.append(
            {
                "key": key,
                "name": person_name(key, object_tags, registry.get("ExternalImageId"), enrolled),
                "status": object_tags.get(STATUS_TAG) or registry.get("Status") or "pending",
                "face_ids": registry.get("FaceIds") or [],
            }
        )
    return rows


@faces_app.command("list")
@cli_errors
def list_faces(
    bucket: BucketOpt = None,
    registry_table: RegistryOpt = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    region: RegionOpt = None,
    root: RootOpt = None,
) -> None:
    """List enrolled photos: name, key, face id, indexing status."""
    target = _target(stack, endpoint_url, region, root, bucket, registry_table)
    rows = enrolled(target)
    table = Table("name", "key", "face id", "status")
    for row in sorted(rows, key=lambda r: (r["name"], r["key"])):
        cells = (row["name"], row["key"], ", ".join(row["face_ids"]) or "-", row["status"])
        table.add_row(*(Text(cell) for cell in cells))  # names are text, not rich markup
    empty = "no photos in the faces bucket (add one: facewatch faces add)"
    console().print(table if rows else empty)


@faces_app.command("remove")
@cli_errors
def remove(
    who: Annotated[str, typer.Argument(metavar="NAME|KEY", help="A person's name or a key.")],
    wait: Annotated[bool, typer.Option(help="Wait until their faces are deleted.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 60.0,
    bucket: BucketOpt = None,
    registry_table: RegistryOpt = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    region: RegionOpt = None,
    root: RootOpt = None,
) -> None:
    """Delete a person's photos (or one key); the indexing workflow deletes their faces."""
    target = _target(stack, endpoint_url, region, root, bucket, registry_table)
    faces_bucket = target.require("faces_bucket", "--bucket")
    rows = enrolled(target)
    chosen = [r for r in rows if r["key"] == who] or [
        r for r in rows if r["name"].casefold() == who.casefold()
    ]
    if not chosen:
        raise CliError(f"no photo of {who!r} and no such key", "see `facewatch faces list`")
    s3 = target.client("s3")
    for row in chosen:
        s3.delete_object(Bucket=faces_bucket, Key=row["key"])
        console().print(f"removed s3://{faces_bucket}/{row['key']} ({row['name']})", markup=False)
    if wait and target.registry_table:
        dynamodb, keys = target.client("dynamodb"), [row["key"] for row in chosen]
        with console().status("waiting for the indexing workflow to delete the faces ..."):
            deleted = wait_faces_deleted(dynamodb, target.registry_table, keys, timeout)
        if not deleted:
            raise CliError(
                "faces still registered after the photos were deleted",
                "check the indexing executions (`facewatch executions list --workflow indexing`)",
            )
        console().print("faces deleted from the collection")
