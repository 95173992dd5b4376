"""Alembic environment: migrations run on the connection `Store.upgrade()` hands over."""

from alembic import context

from activelab.service.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a bare `alembic` command
    raise RuntimeError(
        "run migrations through activelab (any `activelab` service command upgrades the "
        "database), not the alembic command line."
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
