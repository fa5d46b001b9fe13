"""The store stage: the only package that talks to PostgreSQL (and imports psycopg)."""

from canonry.store.database import Database, open_database

__all__ = ["Database", "open_database"]
