"""How the EventBridge Pipe reads the data stream: one place for the values `infra/triggers.py`
deploys and the local Pipe (`facewatch.local.pipe`) uses, so both batch alike."""

from __future__ import annotations

# Small batches, short window: alerts are latency-sensitive, and one Standard execution
# handles a batch of up to this many records.
BATCH_SIZE = 10
BATCHING_WINDOW_SECONDS = 1
# A record still undelivered after an hour is stale as an alert; it goes to the DLQ (with its
# shard and sequence numbers) instead of blocking its shard.
MAXIMUM_RECORD_AGE_SECONDS = 3600
# Attempts to start the workflow with a batch before the batch goes to the DLQ.
MAXIMUM_RETRY_ATTEMPTS = 10
# Step Functions' limit on an execution's input (and any state's data), in UTF-8 bytes. The
# Pipe's enrichment (handlers/decode.py) keeps each batch well below it.
EXECUTION_INPUT_LIMIT = 256 * 1024
