"""Raw Kafka values -> validated Polars frames and rejects. Pure: no I/O."""

from streams.decode.batch import RawBatch, decode_batch
from streams.decode.reasons import RejectReason
from streams.decode.result import DecodedBatch

__all__ = ["DecodedBatch", "RawBatch", "RejectReason", "decode_batch"]
