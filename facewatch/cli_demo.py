"""`facewatch demo`: the whole pipeline on bundled media, in about a minute.

Starts the local mode in this process (fresh state in `.facewatch/demo`), enrols Lin-Manuel
Miranda and Alex Lacamoire from `sample_data/faces/`, streams the bundled clip through the
camera agent (by starting the camera's stream processor), prints each alert as its audit
record lands, then a summary. The local endpoint keeps the buckets in memory, so the audit
records and snapshots are copied to the state folder (`audit/`, `snapshots/`), and the
alert lines name those local copies.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from facewatch.cli_common import CliError, cli_errors, console, execution_summary

if TYPE_CHECKING:
    from facewatch.local.notifications import Alert
    from facewatch.local.server import LocalMode

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
PEOPLE = {
    "Lin-Manuel Miranda": SAMPLE / "faces" / "lin-manuel-miranda.png",
    "Alex Lacamoire": SAMPLE / "faces" / "alex-lacamoire.png",
}
CLIP = SAMPLE / "video" / "short_hamilton_clip.mp4"
CAMERA = "stage"


@cli_errors
def demo(
    root: Annotated[Path, typer.Option(help="State folder of the demo (emptied first).")] = Path(
        ".facewatch/demo"
    ),
    timeout: Annotated[float, typer.Option(help="Seconds allowed for streaming.")] = 120.0,
) -> None:
    """Enrol two people, stream the sample clip, print each alert and a summary."""
    missing = [str(p) for p in (*PEOPLE.values(), CLIP) if not p.is_file()]
    if missing:
        raise CliError(f"sample media missing: {', '.join(missing)}", "restore sample_data/")
    logging.basicConfig(level=logging.WARNING)
    # moto's interpreter logs, at ERROR, JSONPath misses that the workflows catch on purpose;
    # outcomes are reported below from the executions themselves.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    from facewatch.local.resources import LocalResources
    from facewatch.local.scenario import ScenarioError
    from facewatch.local.server import LocalMode

    shutil.rmtree(root, ignore_errors=True)
    started = time.monotonic()
    local = LocalMode(root, resources=LocalResources(cameras={CAMERA: str(CLIP)}))
    with console().status("starting the local mode (moto server, workflows, adapters) ..."):
        local.start()
    try:
        _run(local, root, timeout)
    except ScenarioError as error:  # a step that timed out or failed: one line, its fix
        raise CliError(str(error), error.fix) from None
    finally:
        local.stop()
    console().print(f"done in {time.monotonic() - started:.0f}s")


def alert_line(alert: Alert, s3: Any, root: Path) -> str:
    """One notification: name, camera, similarity, channel outcomes and the local copy of
    its snapshot (the bucket is in memory: an s3:// path would be gone after the demo)."""
    from facewatch.local.scenario import save_snapshot

    similarity = f"{alert.similarity:.1f}" if alert.similarity is not None else "?"
    channels = ", ".join(f"{c} ({o})" for c, o in alert.channels) or "none"
    snapshot = save_snapshot(s3, alert.snapshot, root)
    return (
        f"[bold green]ALERT[/] {alert.name} on camera {alert.camera}, similarity "
        f"{similarity}, channels: {channels}, snapshot: {snapshot or '-'}"
    )


def _run(local: LocalMode, root: Path, timeout: float) -> None:
    from facewatch.local.notifications import AuditWatcher
    from facewatch.local.scenario import enrol, export_bucket, stream_camera
    from facewatch.local.sink import captured

    console().print(f"local endpoint {local.endpoint_url}  (state in {root})")
    for name, photo in PEOPLE.items():
        with console().status(f"enrolling {name} ..."):
            key, outcome = enrol(local, photo, name)
        console().print(f"enrolled {name}: s3://{local.resources.faces_bucket}/{key} -> {outcome}")
    s3 = local.client("s3")
    watcher = AuditWatcher(s3, local.resources.audit_bucket)

    def show(alert: Alert) -> None:
        if alert.outcome == "notified":
            console().print(alert_line(alert, s3, root))

    with console().status(f"streaming {CLIP.name} on camera {CAMERA!r} ..."):
        alerts = stream_camera(local, CAMERA, watcher=watcher, on_alert=show, timeout=timeout)
    from facewatch.workflows.records import processor_name

    summary = local.agent_summaries.get(processor_name(CAMERA))
    sfn, resources = local.client("stepfunctions"), local.resources
    matches = execution_summary(sfn, resources.state_machine_arn(resources.match_state_machine))
    indexing = execution_summary(sfn, resources.state_machine_arn(resources.indexing_state_machine))
    notified = [a for a in alerts if a.outcome == "notified"]
    suppressed = [a for a in alerts if a.outcome == "suppressed"]
    exported = export_bucket(s3, local.resources.audit_bucket, root)
    console().rule("summary")
    if summary is not None:
        counters = summary.counters
        console().print(
            f"frames analysed {counters.frames_analysed}, faces {counters.faces}, "
            f"matches {counters.matches}, records sent {counters.records_sent}"
        )
    console().print(f"match executions: {matches}; indexing: {indexing}")
    people = sorted({a.name for a in notified})
    console().print(
        f"notifications: {len(notified)} ({', '.join(people) or 'nobody'}); "
        f"suppressed duplicates: {len(suppressed)}"
    )
    console().print(
        f"audit objects: {exported['audit/']}, copied to {root / 'audit'}/; "
        f"snapshots: {exported['snapshots/']}, copied to {root / 'snapshots'}/"
    )
    console().print(
        f"what Slack/WhatsApp/webhook received: {len(captured(local.paths.sink))} "
        f"requests in {local.paths.sink}/"
    )
