"""Alembic environment: runs on a connection handed in, or on DATABASE_URL."""

from alembic import context
from sqlalchemy import Connection

from app.db.base import Base
from app.db.models import Course  # noqa: F401  (registers every model on Base.metadata)
from app.db.session import make_engine
from app.settings import get_settings

target_metadata = Base.metadata


def run(connection: Connection) -> None:
    """Migrate inside one transaction (SQLite tables are rebuilt in batch mode)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with make_engine(get_settings().database_url).connect() as conn:
        run(conn)
