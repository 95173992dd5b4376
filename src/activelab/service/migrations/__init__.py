"""Alembic migrations of the labeling service's schema, shipped inside the package and applied
by `Store.upgrade()` (every command that opens a database runs it; it is idempotent)."""
