"""`python -m facewatch.cli`: the same as the `facewatch` command."""

from facewatch.cli import app

app()
