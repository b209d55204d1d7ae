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
from sqlalchemy import Engine

from app.db import migrate
from app.db.session import make_engine, make_sessionmaker, transaction
from app.main import create_app
from app.resources import resource_dir
from app.schemas.writes import FigureIn
from app.services import attendance
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


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keys]:
    """A database migrated to head and seeded once, with keys made by the CLI; each
    test gets its own copy."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "seeded.db"
    url = sqlite_url(path)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine, write=True)) as session:
        seed(session, resource_dir("seed_data"))
    engine.dispose()

    def key(*args: str) -> str:
        return run_cli("keys", "create", *args, cwd=folder, database_url=url).splitlines()[-1]

    keys = Keys(
        write=key("--name", "office", "--scope", "write"),
        admin=key("--name", "boss", "--scope", "write", "--scope", "admin"),
        revoked=key("--name", "old", "--scope", "write"),
    )
    run_cli("keys", "revoke", "old", cwd=folder, database_url=url)
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, keys


@pytest.fixture
def keys(template: tuple[Path, Keys]) -> Keys:
    """The CLI-made keys of this test's database."""
    return template[1]


@pytest.fixture
def db_path(template: tuple[Path, Keys], tmp_path: Path) -> Path:
    """This test's own seeded database file."""
    path = tmp_path / "enrollment-stats.db"
    shutil.copyfile(template[0], path)
    return path


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    """An engine on this test's database."""
    engine = make_engine(sqlite_url(db_path))
    yield engine
    engine.dispose()


@pytest.fixture
def client(db_path: Path) -> Iterator[TestClient]:
    """The real app on this test's seeded database, through the ASGI test client."""
    app = create_app(Settings(database_url=sqlite_url(db_path)))
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
def served(db_path: Path, keys: Keys) -> Iterator[tuple[str, Keys]]:
    """`enrollment-stats serve --workers 2` as a real process on this test's database."""
    from tests.test_cli import serving

    with serving(db_path.parent, "--workers", "2", database_url=sqlite_url(db_path)) as base:
        yield base, keys
