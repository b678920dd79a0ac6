"""Alembic environment: migrates the database of clausier.config, or the connection handed in by clausier.db."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    from clausier.db import get_engine

    url = config.get_main_option("sqlalchemy.url")
    engine = get_engine(url or None)
    with engine.begin() as conn:
        run_migrations(conn)
