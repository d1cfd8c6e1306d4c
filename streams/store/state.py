"""The writer's on-disk index: every event_id stored, and each declaration's release pairing.

Exact duplicate detection over the whole history needs a lookup of every incoming event_id among
all stored ones. DuckDB's primary-key index (ART) does that only with the whole index in memory:
about 72 bytes per stored event, so a 1 GB memory limit runs out at about 14 million events and a
national year needs some 3 GB (docs/RELIABILITY.md, "Memory"). This index lives on disk in
RocksDB (an LSM tree with Bloom filters): a new event_id costs a filter check, memory stays at
the block cache and memtables whatever the history, and writes are sequential.

DuckDB stays the store of record. Each batch commits in DuckDB first, then its keys are written
here with the batch's sequence number in the same RocksDB write batch (atomic). So the index is
never ahead of DuckDB; if a crash leaves it behind, `catch_up` re-reads the rows of the missing
batches (`batch_seq` > the index's watermark) and writes them again. Every write is idempotent, so
doing it twice changes nothing. A missing index, or one that belongs to another database file,
is rebuilt from all rows.

Keys and values are ASCII, built and parsed with Polars on whole batches:
- `e:<stream>:<event_id>` -> `<source_partition>:<source_offset>` of the stored event;
- `d:<declaration_no>` -> the earliest registered and earliest cleared event stored for it
  (`release.py` explains the pairing).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import rocksdict

_STORE_ID = b"\x00store_id"
_WATERMARK = b"\x00watermark"
BLOCK_CACHE_BYTES = 64 * 2**20
WRITE_BUFFER_BYTES = 32 * 2**20  # two of them at most


def state_path(db: Path) -> Path:
    """The index folder beside the database file: var/customs.duckdb -> var/customs.duckdb.index/."""
    return db.with_name(db.name + ".index")


def _options() -> rocksdict.Options:
    table = rocksdict.BlockBasedOptions()
    table.set_block_cache(rocksdict.Cache(BLOCK_CACHE_BYTES))
    table.set_bloom_filter(10, False)  # about 1% false positives; a miss (a new event_id) reads no data block
    options = rocksdict.Options(raw_mode=True)
    options.create_if_missing(True)
    options.set_block_based_table_factory(table)
    options.set_memtable_prefix_bloom_ratio(0.1)  # a filter on the memtable too: a new key skips its search (3x faster lookups)
    options.set_memtable_whole_key_filtering(True)
    options.set_write_buffer_size(WRITE_BUFFER_BYTES)
    options.set_max_write_buffer_number(2)
    options.set_max_background_jobs(2)
    options.set_level_compaction_dynamic_level_bytes(True)
    options.set_compression_type(rocksdict.DBCompressionType.lz4())
    options.set_max_open_files(256)
    return options


class StateStore:
    """A RocksDB folder of ASCII keys and values, read and written a whole batch at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # rocksdict opens an existing folder's column families with the options recorded in it, and
        # those lose the Bloom filter: without the explicit family, every reopen dropped the filters
        # and each lookup of a new event_id read a data block on every level (10 us instead of 3).
        self._db = rocksdict.Rdict(str(path), _options(), column_families={"default": _options()})
        self._write_options = rocksdict.WriteOptions()
        self._write_options.sync = False  # a lost tail is re-read from DuckDB (catch_up)

    def close(self) -> None:
        self._db.close()

    @classmethod
    def recreate(cls, path: Path) -> StateStore:
        shutil.rmtree(path, ignore_errors=True)
        return cls(path)

    def memory_bytes(self) -> int:
        """What the index holds in memory: its block cache, two memtables with their filters, and the
        filters and indexes of its files (the one part that grows with history, about 2 bytes per event)."""
        readers = self._db.property_int_value("rocksdb.estimate-table-readers-mem") or 0
        return BLOCK_CACHE_BYTES + int(2.2 * WRITE_BUFFER_BYTES) + readers

    @property
    def store_id(self) -> str | None:
        value = self._db.get(_STORE_ID)
        return None if value is None else bytes(value).decode("ascii")

    @property
    def watermark(self) -> int | None:
        """The last DuckDB batch whose keys are all here."""
        value = self._db.get(_WATERMARK)
        return None if value is None else int(bytes(value))

    def get(self, keys: pl.Series) -> pl.Series:
        """The values of keys (String), null where absent."""
        if keys.is_empty():
            return pl.Series(keys.name, [], dtype=pl.String)
        found = self._db.get(keys.cast(pl.Binary).to_list())
        return pl.Series(keys.name, found, dtype=pl.Binary).cast(pl.String)

    def write(self, entries: list[pl.DataFrame], watermark: int, store_id: str) -> None:
        """Put every (key, value) of the frames and the watermark, atomically."""
        batch = rocksdict.WriteBatch(raw_mode=True)
        for frame in entries:
            keys = frame["key"].cast(pl.Binary).to_list()
            values = frame["value"].cast(pl.Binary).to_list()
            for key, value in zip(keys, values, strict=True):  # rocksdict has no bulk put; about 0.3 µs a key
                batch.put(key, value)
        batch.put(_WATERMARK, str(watermark).encode("ascii"))
        batch.put(_STORE_ID, store_id.encode("ascii"))
        self._db.write(batch, self._write_options)
