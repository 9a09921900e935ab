"""The `facewatch` command line: one entry point, sub-commands per concern.

Heavy modules (boto3 clients, moto, OpenCV, dlib) are imported by the commands that
need them, so `facewatch --help` stays instant.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from facewatch.cli.demo import demo
from facewatch.cli.executions import executions_app
from facewatch.cli.faces import faces_app
from facewatch.cli.local import local_app

app = typer.Typer(
    name="facewatch",
    help="Real-time face-recognition alerts: enrol people, inspect executions, run cameras, "
    "or run everything locally (`facewatch demo`).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(local_app, name="local")
app.add_typer(faces_app, name="faces")
app.add_typer(executions_app, name="executions")
app.command("demo")(demo)


class _LazyCamera(TyperGroup):
    """`facewatch camera ...` imports the agent (OpenCV, numpy) only when used."""

    def _real(self) -> TyperGroup:
        from facewatch.cli.camera import camera_app

        group = typer.main.get_group(camera_app)
        assert isinstance(group, TyperGroup)
        return group

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return self._real().list_commands(ctx)

    def get_command(self, ctx: typer.Context, name: str) -> typer.core.click.Command | None:  # type: ignore[override]
        return self._real().get_command(ctx, name)


camera_placeholder = typer.Typer(
    name="camera",
    cls=_LazyCamera,
    help="Run the camera agent (edge analysis mode).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(camera_placeholder, name="camera")
