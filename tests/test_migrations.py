"""The schema comes from Alembic alone, and matches the models."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select

from app.db import migrate
from app.db.base import Base
from app.db.models import CourseYearTotal, CourseYearTotalHistory, Figure
from app.db.session import make_engine, make_sessionmaker, transaction
from app.domain.vintages import Vintage
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


def test_revision_ids_fit_alembic_version_on_postgresql() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._config())
    ids = [s.revision for s in script.walk_revisions()]
    assert len(ids) == 12
    assert [i for i in ids if len(i) > 32] == []  # alembic_version is VARCHAR(32)


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


def test_first_vintages_live_in_figures_and_the_migration_moves_them_both_ways(
    engine: Engine, add_figure: AddFigure
) -> None:
    from app.db.models import FigureRevision
    from app.schemas.resources import attendance_out, revision_out
    from app.schemas.writes import FigurePatch
    from app.services import history

    add_figure("basic-sro", "2019-09/2019-12", 600)
    add_figure("basic-sro", "2018-01/2018-08", 1500)
    writer = make_sessionmaker(engine, write=True)
    with transaction(writer) as session:
        ids = dict(session.execute(select(Figure.completions, Figure.id)).all())
        revised, deleted = ids[600], ids[1500]
        attendance.revise(
            session, figure_id=revised, data=FigurePatch(completions=650), actor=Actor("editor")
        )
    with transaction(writer) as session:
        attendance.delete(session, figure_id=deleted, actor=Actor("remover"))

    def revision_rows() -> int:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(FigureRevision)) or 0

    def answers() -> tuple[object, ...]:
        with transaction(make_sessionmaker(engine)) as session:
            every = sorted({*ids.values(), *session.scalars(select(Figure.id))})
            revisions = {
                i: [revision_out(r).model_dump() for r in history.revisions(session, figure_id=i)]
                for i in every
            }
            moments = sorted(set(session.scalars(select(FigureRevision.recorded_at))))
            as_of = [
                [
                    attendance_out(r).model_dump()
                    for r in attendance.list_figures(
                        session, at=Vintage(as_of=m), limit=1000, cursor=None
                    ).items
                ]
                for m in moments
            ]
            return revisions, as_of

    # The seed's 12 figures and the one still at its first vintage have no revision
    # rows; the revised one has two (its first, copied, and its second), the deleted
    # one two (its first and the delete).
    assert revision_rows() == 4
    before = answers()
    revisions = before[0]
    assert [r["action"] for r in revisions[revised]] == ["create", "update"]  # type: ignore[index]
    assert [r["recorded_by"] for r in revisions[revised]] == ["test", "editor"]  # type: ignore[index]
    assert [r["action"] for r in revisions[deleted]] == ["create", "delete"]  # type: ignore[index]
    assert revisions[1][0]["recorded_by"] == "seed"  # type: ignore[index]
    # As of each write: both figures made, then revised, then one deleted.
    assert [len(page) for page in before[1]] == [13, 14, 14, 13]  # type: ignore[arg-type]

    migrate.downgrade(engine, "2026_11_29_total_history")
    assert revision_rows() == 4 + 12  # every first vintage written back
    migrate.upgrade(engine)
    assert revision_rows() == 4
    assert answers() == before
