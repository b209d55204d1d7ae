"""The seed loader imports the press release faithfully and idempotently."""

from sqlalchemy import Engine, func, select

from app.db.models import Course, Figure, Source
from app.db.session import make_sessionmaker, transaction
from app.resources import resource_dir
from app.services.seed import seed


def snapshot(engine: Engine) -> list[tuple[object, ...]]:
    """Every figure with its course and source, as stored."""
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    Figure.id,
                    Course.slug,
                    Figure.year,
                    Figure.start_month,
                    Figure.end_month,
                    Figure.completions,
                    Figure.revision,
                    Figure.recorded_at,
                    Source.title,
                )
                .join(Course)
                .join(Source)
                .order_by(Figure.id)
            )
        ]


def test_seeding_twice_changes_nothing(engine: Engine) -> None:
    before = snapshot(engine)
    assert len(before) == 12
    with transaction(make_sessionmaker(engine)) as session:
        report = seed(session, resource_dir("seed_data"))
    assert (report.courses, report.sources, report.figures) == (0, 0, 0)
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Course)) == 6
        assert conn.scalar(select(func.count()).select_from(Source)) == 1


def test_seed_carries_the_release_facts(engine: Engine) -> None:
    with transaction(make_sessionmaker(engine)) as session:
        courses = {c.slug: c for c in session.scalars(select(Course))}
        source = session.scalars(select(Source)).one()
        assert courses["school-security-officer"].audience == (
            "Security personnel who are not law enforcement officers"
        )
        assert courses["adolescent-mental-health"].first_offered_year == 2018
        assert courses["basic-sro"].first_offered_year is None
        assert source.published_on.isoformat() == "2019-09-16"
        assert source.place == "Hoover, Ala."
        assert "NASRO" in source.publisher
