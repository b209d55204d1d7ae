"""The schema comes from Alembic alone, and matches the models."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from app.db import migrate
from app.db.base import Base
from app.db.models import CourseYearTotal, CourseYearTotalHistory, Figure
from app.db.session import make_engine, make_sessionmaker, transaction
from app.services import attendance
from app.services.audit import Actor
from tests.conftest import AddFigure, on_postgres, sqlite_url

TABLES = {"courses", "sources", "figures", "course_year_totals"}


def drift(url: str) -> list[object]:
    """Differences between the migrated database and the models (empty: no drift)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return list(diff)


def test_upgrade_downgrade_upgrade_has_no_drift(empty_database_url: str) -> None:
    url = empty_database_url
    engine = make_engine(url)
    assert migrate.is_empty(engine)
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert drift(url) == []

    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)
    assert drift(url) == []
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


@pytest.mark.skipif(on_postgres(), reason="SQLite connection settings")
def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "p.db"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_totals_backfill_agrees_with_the_write_path(engine: Engine, add_figure: AddFigure) -> None:
    add_figure("basic-sro", "2019-09/2019-12", 600)  # completes 2019
    add_figure("basic-sro", "2018-01/2018-08", 1500)  # nested: 2018 unchanged
    add_figure("advanced-sro", "2019", 900)  # supersedes Jan–Aug
    add_figure("sro-management", "2017-03", 7)  # a new year, one month

    def totals() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    select(CourseYearTotal).order_by(
                        CourseYearTotal.course_id, CourseYearTotal.year
                    )
                )
            ]

    by_writes = totals()
    assert len(by_writes) == 13
    migrate.downgrade(engine, "2026_11_28_initial")
    migrate.upgrade(engine)
    assert totals() == by_writes


def test_total_history_backfill_agrees_with_the_write_path(
    engine: Engine, add_figure: AddFigure
) -> None:
    add_figure("basic-sro", "2019-09/2019-12", 600)
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    add_figure("advanced-sro", "2019", 900)
    with transaction(make_sessionmaker(engine, write=True)) as session:
        figure = session.scalars(select(Figure).where(Figure.completions == 600)).one()
        attendance.delete(session, figure_id=figure.id, actor=Actor("test"))

    def history() -> list[tuple[object, ...]]:
        h = CourseYearTotalHistory
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    select(
                        h.course_id, h.year, h.total, h.months_mask, h.valid_from, h.valid_to
                    ).order_by(h.course_id, h.year, h.valid_from)
                )
            ]

    by_writes = history()
    basic_2019 = [(*r[2:4], r[5] is None) for r in by_writes if r[:2] == (1, 2019)]
    assert basic_2019 == [(2516, 0xFF, False), (3116, 0xFFF, False), (2516, 0xFF, True)]
    migrate.downgrade(engine, "2026_11_29_write_events")
    migrate.upgrade(engine)
    assert history() == by_writes
