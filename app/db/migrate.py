"""Alembic, driven from code: `serve`, `migrate`, `/ready` and the tests use this."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


@contextmanager
def _migrating(engine: Engine) -> Iterator[Config]:
    """One transaction for a migration, its connection handed to Alembic.

    On SQLite a column is altered by copying its table, and a table others refer to
    (`sources`) cannot be dropped with foreign keys on: as SQLite's own procedure for
    altering a table says (lang_altertable.html, "other kinds of table schema
    changes"), they are turned off outside the transaction and checked before it
    commits."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        driver: Any = connection.connection.dbapi_connection
        if sqlite:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                cfg = _config()
                cfg.attributes["connection"] = connection
                yield cfg
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration broke a foreign key; nothing was changed")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (head by default)."""
    with _migrating(engine) as cfg:
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema back to `revision` (base: no tables)."""
    with _migrating(engine) as cfg:
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
