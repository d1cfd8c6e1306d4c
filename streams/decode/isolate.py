"""Decoding that one message cannot stop: an exception is narrowed down to the messages that raise it.

`decode_batch` rejects every message it understands to be bad; an exception out of it is a bug met
by some message (or a library's limit). The batch is then decoded in halves until the messages
that raise are isolated (O(bad x log n) calls); each is rejected as `decode_error` with the
exception as its detail, kept with its raw bytes like any reject, and every other message flows on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import polars as pl

from streams.contract.events import EventSpec
from streams.decode.batch import RawBatch, accepted_schema, decode_batch
from streams.decode.reasons import RejectReason
from streams.decode.result import REJECT_SCHEMA, DecodedBatch

log = logging.getLogger(__name__)
MAX_DETAIL = 500


def _part(raw: RawBatch, start: int, stop: int) -> RawBatch:
    parts, offsets = raw.partitions[start:stop], raw.offsets[start:stop]
    inside = set(zip(parts, offsets, strict=True))
    replays = [r for r in raw.replays if (r[0], r[1]) in inside]
    return RawBatch(raw.topic, parts, offsets, raw.keys[start:stop], raw.values[start:stop], replays)


def _raised(raw: RawBatch, exc: Exception) -> pl.DataFrame:
    detail = f"decoding raised {type(exc).__name__}: {exc}"[:MAX_DETAIL]
    return pl.DataFrame(
        {
            "source_topic": [raw.topic],
            "source_partition": raw.partitions,
            "source_offset": raw.offsets,
            "message_key": raw.keys,
            "raw_value": raw.values,
            "reason": [RejectReason.DECODE_ERROR.value],
            "detail": [detail],
            "event_id": [None],
        },
        schema=REJECT_SCHEMA,
    )


def decode_isolating(
    spec: EventSpec,
    raw: RawBatch,
    now: datetime,
    on_error: Callable[[], None] = lambda: None,
) -> DecodedBatch:
    """decode_batch, with any message that makes it raise rejected as decode_error (on_error counts each)."""
    try:
        return decode_batch(spec, raw, now)
    except Exception as exc:
        if len(raw.offsets) == 1:
            on_error()
            log.error(
                "decoding %s[%d]@%d raised; rejected as decode_error: %r", raw.topic, raw.partitions[0], raw.offsets[0], exc, exc_info=exc
            )
            return DecodedBatch(accepted=pl.DataFrame(schema=accepted_schema(spec)), rejects=_raised(raw, exc))
        if not raw.offsets:
            raise
    half = len(raw.offsets) // 2
    left = decode_isolating(spec, _part(raw, 0, half), now, on_error)
    right = decode_isolating(spec, _part(raw, half, len(raw.offsets)), now, on_error)
    return DecodedBatch(
        accepted=pl.concat([left.accepted, right.accepted], how="vertical", rechunk=True),
        rejects=pl.concat([left.rejects, right.rejects], how="vertical", rechunk=True),
    )
