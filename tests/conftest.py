"""Fixtures: a real SQLite file built by the Alembic migrations and the seed loader,
and the real app in front of it."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text

from app.db import migrate
from app.db.session import make_engine, make_sessionmaker, transaction
from app.main import create_app
from app.resources import resource_dir
from app.schemas.writes import FigureIn
from app.services import attendance
from app.services import keys as key_service
from app.services.audit import Actor
from app.services.seed import seed
from app.settings import Settings


def sqlite_url(path: Path) -> str:
    """A SQLAlchemy URL for a SQLite file."""
    return f"sqlite:///{path}"


CLI = str(Path(sys.executable).with_name("enrollment-stats"))


def run_cli(*args: str, cwd: Path, database_url: str | None = None) -> str:
    """Run the real `enrollment-stats` command; its stdout. Without `database_url`,
    the default database in `cwd`."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    done = subprocess.run(
        [CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass(frozen=True)
class Keys:
    """Keys made by the real CLI in every test database."""

    write: str  # name "office", scope write
    admin: str  # name "boss", scopes write + admin
    revoked: str  # name "old", revoked


# TEST_DATABASE_URL=postgresql+psycopg://user:pass@host/db runs the whole suite on
# PostgreSQL (a user who may create databases); unset, every test gets a SQLite file.
SERVER_URL = os.environ.get("TEST_DATABASE_URL")


def on_postgres() -> bool:
    """Whether this run's databases are PostgreSQL."""
    return bool(SERVER_URL and SERVER_URL.startswith("postgresql"))


class Databases:
    """Makes empty databases, and copies of the seeded template, for tests."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.made: list[str] = []
        self.tag = f"es_test_{os.getpid()}"

    def _admin(self) -> Engine:
        assert SERVER_URL is not None
        return create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")

    def new(self, template: str | None = None) -> str:
        """The URL of a new database: empty, or a copy of `template` (a URL)."""
        self.count += 1
        if not on_postgres():
            path = self.folder / f"db{self.count}.db"
            if template is not None:
                shutil.copyfile(make_url(template).database or "", path)
            return sqlite_url(path)
        name = f"{self.tag}_{self.count}"
        engine = self._admin()
        with engine.connect() as conn:
            copy = f" TEMPLATE {make_url(template).database}" if template else ""
            conn.exec_driver_sql(f"CREATE DATABASE {name}{copy}")
        engine.dispose()
        self.made.append(name)
        assert SERVER_URL is not None
        return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop the databases this run made on the server."""
        if not self.made:
            return
        engine = self._admin()
        with engine.connect() as conn:
            for name in reversed(self.made):
                # Not `WITH (FORCE)`: a role without superuser may not end an
                # autovacuum worker that way. Ending its own leftover sessions
                # is allowed, and a plain DROP stops autovacuum by itself.
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                        " WHERE datname = :name AND usename = current_user"
                        " AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """This run's database maker; drops what it made on a server at the end."""
    maker = Databases(tmp_path_factory.mktemp("databases"))
    yield maker
    maker.drop_all()


@pytest.fixture(scope="session")
def template(databases: Databases) -> tuple[str, Keys]:
    """A database migrated to head and seeded once, with three keys (write, admin and a
    revoked one) made by the keys service the CLI calls (tests/test_cli.py runs the CLI
    itself); each test gets its own copy."""
    url = databases.new()
    engine = make_engine(url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine, write=True)) as session:
        seed(session, resource_dir("seed_data"))
        made = {
            name: key_service.create_key(session, name=name, scopes=scopes)[1]
            for name, scopes in (
                ("office", ["write"]),
                ("boss", ["write", "admin"]),
                ("old", ["write"]),
            )
        }
        key_service.revoke(session, ident="old")
    engine.dispose()
    keys = Keys(write=made["office"], admin=made["boss"], revoked=made["old"])
    if not on_postgres():
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
    return url, keys


@pytest.fixture
def keys(template: tuple[str, Keys]) -> Keys:
    """The CLI-made keys of this test's database."""
    return template[1]


@pytest.fixture
def database_url(template: tuple[str, Keys], databases: Databases) -> str:
    """This test's own seeded database."""
    return databases.new(template=template[0])


@pytest.fixture
def empty_database_url(databases: Databases) -> str:
    """A database with nothing in it, not even migrations."""
    return databases.new()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on this test's database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The real app on this test's seeded database, through the ASGI test client."""
    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


AddFigure = Callable[[str, str, int], None]


@pytest.fixture
def add_figure(engine: Engine) -> AddFigure:
    """Store a figure through the write service (rules, revision, totals), without HTTP."""

    def add(course: str, period: str, completions: int) -> None:
        data = FigureIn(course=course, period=period, completions=completions, source_id=1)
        with transaction(make_sessionmaker(engine, write=True)) as session:
            attendance.create(session, data=data, actor=Actor("test"))

    return add


@pytest.fixture
def served(database_url: str, keys: Keys, tmp_path: Path) -> Iterator[tuple[str, Keys]]:
    """`enrollment-stats serve --workers 2` as a real process on this test's database."""
    from tests.test_cli import serving

    with serving(tmp_path, "--workers", "2", database_url=database_url) as base:
        yield base, keys
