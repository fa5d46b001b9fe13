"""The mapping stage: source records to typed canonical rows, or to the dead-letter queue."""

from canonry.mapping.engine import (
    DeadLetter,
    MappedRecords,
    Tombstone,
    entity_columns,
    map_records,
)
from canonry.mapping.typed import map_body

__all__ = ["DeadLetter", "MappedRecords", "Tombstone", "entity_columns", "map_body", "map_records"]
