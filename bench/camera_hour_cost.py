"""What one camera costs per hour in each analysis mode, from us-east-1 list prices.

Combines the state transitions that bench/workflow_cost.py measures (it runs the real match
definition in moto) with the workload assumptions and the prices below, each with its source,
and prints the cost table of docs/cost.md. Nothing here is measured on AWS.

One price could not be read from any source: Amazon Rekognition's streaming face search, per
minute of video (AWS's pricing page renders its tables dynamically, and the feature is closed
to new customers since 2026-04-30). It is shown as the symbol P_min until you pass your rate:

    python bench/camera_hour_cost.py
    python bench/camera_hour_cost.py --streaming-face-search-per-minute 0.xx --cameras 4
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass

import workflow_cost

KIB, GIB = 1024, 1024**3


# us-east-1 rates in dollars per unit; None: no source gave it (shown as a symbol).
RATES: dict[str, float | None] = {
    "streaming": None,  # per minute of video
    "search": 0.001,  # per image
    "kvs_gb": 0.0085,  # per GB ingested, and per GB consumed
    "kvs_storage_gb_month": 0.023,
    "kds_stream_hour": 0.04,
    "kds_in_gb": 0.08,
    "kds_out_gb": 0.04,
    "pipes_request": 0.40 / 1e6,
    "dynamodb_write": 0.625 / 1e6,
    "s3_put": 0.005 / 1000,
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.00001667,
}
SYMBOLS = {"streaming": "P_min"}
STREAMING_ITEM = "Rekognition streaming face search (60 min)"
# Each table row and its price as docs/cost.md states it; sources are numbered as in its
# list under the table.
PRICE_TEXT = {
    STREAMING_ITEM: "**not found** per minute of video [1]",
    "Rekognition SearchFacesByImage": "$0.001 per image, first 1M a month (third parties) [11]",
    "KVS ingestion and consumption by the processor": (
        "$0.0085/GB ingested, $0.0085/GB consumed [2]"
    ),
    "KVS storage": "$0.023/GB-month [2]",
    "Kinesis Data Streams on-demand": (
        "$0.04 per stream-hour, $0.08/GB in, $0.04/GB out (third party) [3]"
    ),
    "EventBridge Pipes": "$0.40 per million requests after filtering [4]",
    "Step Functions Standard (match workflow)": "$0.025 per 1,000 transitions [5]",
    "Step Functions Express (instead of Standard)": (
        "$1.00 per million requests [6] + $0.00001667/GB-s [7]"
    ),
    "DynamoDB on-demand": "$0.625 per million writes [8]",
    "S3 audit objects": "PUT $0.005 per 1,000 [9]",
    "S3 snapshot uploads by the agent": "PUT $0.005 per 1,000 [9]",
    "Lambda decode (the Pipe's enrichment, one per batch)": (
        "$0.20 per million requests, $0.00001667/GB-s [10]"
    ),
    "Lambda snapshot (one per notified match)": (
        "$0.20 per million requests, $0.00001667/GB-s [10]"
    ),
}


@dataclass(frozen=True)
class Workload:
    """One camera for one hour, with one enrolled person in view a fraction of it."""

    in_view: float  # fraction of the hour
    notified: int  # sightings that notify (one per visit, or one per dedupe window)
    bitrate_bits: int = 500_000  # the stack's webcam producer command
    video_retention_hours: int = 24  # infra/analysis.py VIDEO_RETENTION_HOURS
    records_per_second: int = 5  # agent --fps 5, one record per analysed frame with a face
    searches_per_second: float = 1.0  # agent --search-interval 1, one tracked face
    record_kib_billed: int = 2  # ~1.4 KB record, rounded up to whole KiB by Kinesis
    snapshot_puts_per_record: int = 2  # agent --snapshots matches: frame and face crop
    decode_gb_seconds: float = 0.5 * 0.1  # 512 MB (infra/decode_function.py), 0.1 s assumed
    snapshot_gb_seconds: float = 0.5 * 1.0  # 512 MB (infra/lambda_function.py), 1 s assumed

    @property
    def seconds_in_view(self) -> float:
        return 3600 * self.in_view

    @property
    def records(self) -> float:
        return self.seconds_in_view * self.records_per_second

    @property
    def searches(self) -> float:
        return self.seconds_in_view * self.searches_per_second

    @property
    def executions(self) -> float:
        # The pipe batches the records of up to 1 s (BATCHING_WINDOW_SECONDS, 5 < BATCH_SIZE
        # records) into one execution (one enrichment invocation each), and the decode
        # Lambda coalesces one person's records
        # on one camera within a batch into one handled match.
        return self.seconds_in_view

    @property
    def video_gb(self) -> float:
        return self.bitrate_bits / 8 * 3600 / 1e9

    @property
    def data_stream_gb(self) -> float:
        return self.records * self.record_kib_billed * KIB / GIB


@dataclass(frozen=True)
class Cost:
    """Dollars, plus a multiple of a price no source gave (its symbol), if any."""

    dollars: float = 0.0
    unknown: float = 0.0
    symbol: str = ""

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.dollars + other.dollars,
            self.unknown + other.unknown,
            self.symbol or other.symbol,
        )


def priced(key: str, quantity: float, override: Mapping[str, float]) -> Cost:
    rate = override.get(key, RATES[key])
    if rate is None:
        return Cost(unknown=quantity, symbol=SYMBOLS[key])
    return Cost(quantity * rate)


def workflow_costs(transitions: Mapping[str, int], w: Workload) -> tuple[Cost, Cost]:
    """Standard and Express cost of the match executions of one camera-hour."""
    first = "batch of 5 records, first sighting"
    suppressed = "batch of 5 records, same person in view (all suppressed)"
    duplicates = w.executions - w.notified
    standard = (
        w.notified * transitions[first] + duplicates * transitions[suppressed]
    ) * workflow_cost.STANDARD_PER_TRANSITION
    express = w.notified * workflow_cost.express_cost(first) + duplicates * (
        workflow_cost.express_cost(suppressed)
    )
    return Cost(standard), Cost(express)


MODES = ("stream-processor", "edge")


def line_items(
    transitions: Mapping[str, int],
    w: Workload,
    mode: str,
    cameras: int = 1,
    override: Mapping[str, float] | None = None,
) -> dict[str, Cost]:
    """Cost of each item for one camera-hour; Standard and Express are alternatives."""
    o = override or {}
    edge = mode == "edge"
    standard, express = workflow_costs(transitions, w)
    return {
        STREAMING_ITEM: Cost() if edge else priced("streaming", 60, o),
        "Rekognition SearchFacesByImage": priced("search", w.searches, o) if edge else Cost(),
        "KVS ingestion and consumption by the processor": Cost()
        if edge
        else priced("kvs_gb", 2 * w.video_gb, o),
        "KVS storage": Cost()
        if edge
        else priced("kvs_storage_gb_month", w.video_gb * w.video_retention_hours / (30 * 24), o),
        "Kinesis Data Streams on-demand": priced("kds_stream_hour", 1 / cameras, o)
        + priced("kds_in_gb", w.data_stream_gb, o)
        + priced("kds_out_gb", w.data_stream_gb, o),
        "EventBridge Pipes": priced("pipes_request", w.records, o),
        "Step Functions Standard (match workflow)": standard,
        "Step Functions Express (instead of Standard)": express,
        "DynamoDB on-demand": priced("dynamodb_write", 2 * w.executions, o),
        "S3 audit objects": priced("s3_put", w.executions, o),
        "S3 snapshot uploads by the agent": priced(
            "s3_put", w.snapshot_puts_per_record * w.records, o
        )
        if edge
        else Cost(),
        # The Pipe invokes its enrichment once per batch, before each execution.
        "Lambda decode (the Pipe's enrichment, one per batch)": priced(
            "lambda_request", w.executions, o
        )
        + priced("lambda_gb_second", w.executions * w.decode_gb_seconds, o),
        "Lambda snapshot (one per notified match)": priced("lambda_request", w.notified, o)
        + priced("lambda_gb_second", w.notified * w.snapshot_gb_seconds, o),
    }


def totals(items: Mapping[str, Cost]) -> tuple[Cost, Cost]:
    """Sum of the items with Standard workflows, and with Express workflows instead."""
    standard_item = "Step Functions Standard (match workflow)"
    express_item = "Step Functions Express (instead of Standard)"
    common = sum((c for k, c in items.items() if k not in (standard_item, express_item)), Cost())
    return common + items[standard_item], common + items[express_item]


def money(cost: Cost) -> str:
    if cost.dollars == 0 and cost.unknown == 0:
        return "-"
    parts = []
    if cost.dollars or not cost.unknown:
        d = cost.dollars
        parts.append(f"${d:.2f}" if d >= 1 else f"${d:.3f}" if d >= 0.01 else f"${d:.4f}")
    if cost.unknown:
        parts.append(f"{cost.unknown:,.0f}·{cost.symbol}")
    return " + ".join(parts)


WORKLOADS = {
    "*f* = 10 %": Workload(in_view=0.1, notified=6),  # six one-minute visits
    "*f* = 100 %": Workload(in_view=1.0, notified=12),  # one per 300-s dedupe window
}


def price_text(item: str, override: Mapping[str, float]) -> str:
    if item == STREAMING_ITEM and "streaming" in override:
        return f"${override['streaming']:g} (given on the command line)"
    return PRICE_TEXT[item]


def markdown_table(
    transitions: Mapping[str, int], cameras: int = 1, override: Mapping[str, float] | None = None
) -> str:
    columns = [(mode, label, w) for mode in MODES for label, w in WORKLOADS.items()]
    tables = {
        (mode, label): line_items(transitions, w, mode, cameras, override)
        for mode, label, w in columns
    }
    header = "| item | price (source) | " + " | ".join(f"{m}, {lbl}" for m, lbl, _ in columns)
    lines = [header + " |", "|---" * (len(columns) + 2) + "|"]
    for item in PRICE_TEXT:
        cells = [money(tables[mode, label][item]) for mode, label, _ in columns]
        lines.append(f"| {item} | {price_text(item, override or {})} | " + " | ".join(cells) + " |")
    sums = [totals(tables[mode, label]) for mode, label, _ in columns]
    for index, name in enumerate(("Standard", "Express")):
        cells = [money(total[index]) for total in sums]
        lines.append(f"| **total, {name}** | | " + " | ".join(f"**{c}**" for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--streaming-face-search-per-minute",
        type=float,
        metavar="DOLLARS",
        help="your Rekognition streaming face search rate (P_min), if you know it",
    )
    parser.add_argument(
        "--cameras",
        type=int,
        default=1,
        help="cameras sharing the stack's one Kinesis data stream (its hourly charge is split)",
    )
    args = parser.parse_args()
    if args.cameras < 1:
        parser.error("--cameras must be at least 1")
    override = {}
    if args.streaming_face_search_per_minute is not None:
        override["streaming"] = args.streaming_face_search_per_minute
    transitions = workflow_cost.measure()
    print(f"Cost of one camera-hour, us-east-1, {args.cameras} camera(s) per stack")
    print(markdown_table(transitions, args.cameras, override))


if __name__ == "__main__":
    main()
