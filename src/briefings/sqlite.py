"""The SQLite driver every module uses.

pysqlite3-binary brings a current SQLite (3.51) where the system's may be
years old (3.40 here): FTS5 ranks a common word's matches up to twice as fast,
and ranking is most of what a search costs. Where it is not installed (no
wheel for the platform) the standard library's driver serves. sqlite-utils
makes the same choice in the same order, so its connections and ours raise
the same exception classes.
"""

try:
    import pysqlite3.dbapi2 as sqlite3
except ImportError:  # pragma: no cover - platforms without the wheel
    import sqlite3

__all__ = ["sqlite3"]
