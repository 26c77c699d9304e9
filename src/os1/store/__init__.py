"""Storage: SQLite by default, PostgreSQL for the server; reached only through ``Store``."""

from os1.store.engine import open_engine
from os1.store.repos import Store, StoredMessage, Summary

__all__ = ["Store", "StoredMessage", "Summary", "open_engine"]
