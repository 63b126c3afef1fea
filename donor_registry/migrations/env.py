"""Alembic environment: the engine comes from donor_registry.db, never from an ini file."""

from alembic import context
from sqlmodel import SQLModel

import donor_registry.models  # noqa: F401  (fills SQLModel.metadata)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
