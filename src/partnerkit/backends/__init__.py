"""Storage backends: `memory` (dictionaries) and `sql` (SQLAlchemy Core: SQLite, PostgreSQL,
MariaDB). Both implement the ports in `partnerkit.ports` and pass the same conformance suite."""

__all__: list[str] = []
