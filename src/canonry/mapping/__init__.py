"""The mapping stage: source records to typed canonical rows, or to the dead-letter queue."""

from canonry.mapping.engine import DeadLetter, MappedPage, Tombstone, entity_columns, map_page

__all__ = ["DeadLetter", "MappedPage", "Tombstone", "entity_columns", "map_page"]
