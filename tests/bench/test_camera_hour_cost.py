"""bench/camera_hour_cost.py: the cost per camera-hour of docs/cost.md, item by item.

Expected figures are worked out by hand from the stated prices and assumptions.
"""

from __future__ import annotations

import re
from pathlib import Path

import camera_hour_cost as cost
import pytest

COST_DOC = Path(__file__).resolve().parents[2] / "docs" / "cost.md"
# Transition counts of a batch execution (the case names bench/workflow_cost.py measures).
TRANSITIONS = {
    "batch of 5 records, first sighting": 13,
    "batch of 5 records, same person in view (all suppressed)": 8,
}
ALL_HOUR = cost.Workload(in_view=1.0, notified=12)


def test_edge_pays_one_search_per_second_a_face_is_in_view() -> None:
    items = cost.line_items(TRANSITIONS, ALL_HOUR, "edge")

    assert items["Rekognition SearchFacesByImage"].dollars == pytest.approx(3600 * 0.001)
    assert items["Rekognition streaming face search (60 min)"] == cost.Cost()


def test_stream_processor_bills_every_minute_as_a_symbol_until_the_rate_is_given() -> None:
    unknown = cost.line_items(TRANSITIONS, ALL_HOUR, "stream-processor")
    known = cost.line_items(TRANSITIONS, ALL_HOUR, "stream-processor", override={"streaming": 0.1})

    streaming = "Rekognition streaming face search (60 min)"
    assert (unknown[streaming].unknown, unknown[streaming].symbol) == (60, "P_min")
    assert (known[streaming].dollars, known[streaming].unknown) == (pytest.approx(6.0), 0)
    assert cost.money(cost.totals(unknown)[0]).endswith("+ 60·P_min")


def test_standard_workflow_bills_notified_and_suppressed_executions() -> None:
    standard, _ = cost.workflow_costs(TRANSITIONS, ALL_HOUR)

    # 12 notified x 13 + 3,588 suppressed x 8 = 28,860 transitions at $0.025 per 1,000.
    assert standard.dollars == pytest.approx(0.7215)


def test_totals_count_either_standard_or_express_not_both() -> None:
    items = cost.line_items(TRANSITIONS, ALL_HOUR, "edge")
    standard, express = cost.totals(items)

    express_item = items["Step Functions Express (instead of Standard)"].dollars
    standard_item = items["Step Functions Standard (match workflow)"].dollars
    assert standard.dollars - express.dollars == pytest.approx(standard_item - express_item)
    assert standard.dollars == pytest.approx(sum(c.dollars for c in items.values()) - express_item)


def test_cameras_share_the_data_stream_hourly_charge() -> None:
    quiet = cost.Workload(in_view=0.0, notified=0)

    one = cost.line_items(TRANSITIONS, quiet, "edge", cameras=1)
    four = cost.line_items(TRANSITIONS, quiet, "edge", cameras=4)

    assert one["Kinesis Data Streams on-demand"].dollars == pytest.approx(0.04)
    assert four["Kinesis Data Streams on-demand"].dollars == pytest.approx(0.01)


def test_data_stream_bytes_are_records_times_two_kib() -> None:
    items = cost.line_items(TRANSITIONS, ALL_HOUR, "edge", cameras=1)

    # 18,000 records x 2 KiB = 0.0343 GiB in ($0.08) and out ($0.04), plus the stream-hour.
    gib = 18_000 * 2 / 1024**2
    assert items["Kinesis Data Streams on-demand"].dollars == pytest.approx(0.04 + gib * 0.12)


def test_cost_doc_table_is_the_scripts_output_for_the_measured_transitions() -> None:
    text = COST_DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- cost-table:begin -->\n(.*?)\n<!-- cost-table:end -->", text, re.S)
    assert match, "docs/cost.md lacks the cost-table markers"

    measured = cost.workflow_cost.measure()

    assert match.group(1) == cost.markdown_table(measured)
