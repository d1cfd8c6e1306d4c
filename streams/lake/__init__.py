"""The analysts' lake: a DuckLake the consumer publishes to (publication.py; the consumer's
writer, writer.py; a new leader's takeover, takeover.py), keeps bounded (upkeep.py) and everyone
else attaches read-only (location.py), with DuckDB's extensions loaded from their wheels
(extensions.py). Other packages import this face, not the modules."""

from streams.lake.extensions import extension_file, load_extensions
from streams.lake.location import ALIAS, EVENT_TABLES, LAKE_TABLES, REFERENCE_TABLES, attach
from streams.lake.publication import (
    LakeOffset,
    Lead,
    Leader,
    Mirror,
    Publication,
    check_mirrors,
    current_leader,
    current_version,
    lake_offsets,
    mirror,
    publish,
    read_watermark,
    rebuild,
    take_lead,
)
from streams.lake.restore import Restored, restore_from_lake
from streams.lake.takeover import Behind, take_over
from streams.lake.upkeep import FILE_GRACE, Upkeep, maintain, maintain_lake
from streams.lake.writer import LakeWriter

__all__ = [
    "ALIAS",
    "EVENT_TABLES",
    "FILE_GRACE",
    "LAKE_TABLES",
    "REFERENCE_TABLES",
    "Behind",
    "LakeOffset",
    "LakeWriter",
    "Lead",
    "Leader",
    "Mirror",
    "Publication",
    "Restored",
    "Upkeep",
    "attach",
    "check_mirrors",
    "current_leader",
    "current_version",
    "extension_file",
    "lake_offsets",
    "load_extensions",
    "maintain",
    "maintain_lake",
    "mirror",
    "publish",
    "read_watermark",
    "rebuild",
    "restore_from_lake",
    "take_lead",
    "take_over",
]
