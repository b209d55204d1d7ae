"""Alembic environment: runs on a connection handed in, or on DATABASE_URL."""

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from app.db.base import Base, UTCDateTime
from app.db.models import Course  # noqa: F401  (registers every model on Base.metadata)
from app.db.session import make_engine
from app.settings import get_settings

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render our column types as plain SQLAlchemy types in new revisions."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run(connection: Connection) -> None:
    """Migrate inside one transaction (SQLite tables are rebuilt in batch mode)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with make_engine(get_settings().database_url).connect() as conn:
        run(conn)
