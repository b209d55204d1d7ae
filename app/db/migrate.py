"""Alembic, driven from code: `serve`, `migrate`, `/ready` and the tests use this."""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app.resources import resource_dir


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resource_dir("migrations")))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (head by default)."""
    with engine.begin() as connection:
        cfg = _config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema back to `revision` (base: no tables)."""
    with engine.begin() as connection:
        cfg = _config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def head_revision() -> str | None:
    """The newest revision the code ships."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_empty(engine: Engine) -> bool:
    """No tables at all: a new database."""
    return not inspect(engine).get_table_names()
