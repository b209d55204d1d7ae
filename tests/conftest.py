"""Fixtures: a real SQLite file built by the Alembic migrations and the seed loader,
and the real app in front of it."""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.db import migrate
from app.db.models import Course, Figure
from app.db.session import make_engine, make_sessionmaker, transaction
from app.domain.periods import Period
from app.main import create_app
from app.resources import resource_dir
from app.services import totals
from app.services.seed import seed
from app.settings import Settings


def sqlite_url(path: Path) -> str:
    """A SQLAlchemy URL for a SQLite file."""
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated to head and seeded once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    engine = make_engine(sqlite_url(path))
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        seed(session, resource_dir("seed_data"))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def db_path(seeded_template: Path, tmp_path: Path) -> Path:
    """This test's own seeded database file."""
    path = tmp_path / "enrollment-stats.db"
    shutil.copyfile(seeded_template, path)
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
    """Store a figure through the storage layer, as a write does, bypassing the HTTP rules."""

    def add(course: str, period: str, completions: int) -> None:
        p = Period.parse(period)
        with transaction(make_sessionmaker(engine)) as session:
            course_id = session.scalars(select(Course.id).where(Course.slug == course)).one()
            session.add(
                Figure(
                    course_id=course_id,
                    year=p.year,
                    start_month=p.start_month,
                    end_month=p.end_month,
                    completions=completions,
                    source_id=1,
                )
            )
            totals.refresh(session, [(course_id, p.year)])

    return add
