"""The SQL backend on SQLAlchemy 2 Core: SQLite (embedded default), PostgreSQL, MariaDB/MySQL.

Needs the `sql` extra (`pip install 'partnerkit[sql]'`), plus `postgres` or `mysql` for those.
"""

from partnerkit.backends.sql.backend import SqlBackend

__all__ = ["SqlBackend"]
