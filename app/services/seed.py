"""Load the release's courses, source and figures from `seed_data/`, idempotently."""

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.db.models import Course, Figure, FigureRevision, Source
from app.domain.periods import Period
from app.schemas.writes import CourseIn, FigureIn, SourceIn
from app.services import attendance, catalog
from app.services.audit import Actor

SEED = Actor("seed")


@dataclass
class SeedReport:
    """How many rows the seed added; zero everywhere on a second run."""

    courses: int = 0
    sources: int = 0
    figures: int = 0


def is_blank(session: Session) -> bool:
    """Nothing but keys was ever stored: no course, no source, no figure, no history."""
    return not any(
        session.scalar(select(exists().select_from(model)))
        for model in (Course, Source, Figure, FigureRevision)
    )


def _rows(path: Path) -> list[dict[str, str | None]]:
    """CSV rows with empty cells as None."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(fh)]


def _required(row: dict[str, str | None], key: str) -> str:
    value = row.get(key)
    if value is None:
        raise ValueError(f"seed row {row} has no {key}")
    return value


def seed(session: Session, directory: Path) -> SeedReport:
    """Add what `directory` holds and the database lacks, through the ordinary write
    paths (rules, revisions, totals, audit as `seed`); never change stored rows."""
    report = SeedReport()
    courses: dict[str, Course] = {}
    for row in _rows(directory / "courses.csv"):
        slug = _required(row, "slug")
        course = session.scalar(select(Course).where(Course.slug == slug))
        if course is None:
            course = catalog.create_course(session, data=CourseIn.model_validate(row), actor=SEED)
            report.courses += 1
        courses[slug] = course

    sources: dict[str, Source] = {}
    for row in _rows(directory / "sources.csv"):
        data = SourceIn.model_validate({k: v for k, v in row.items() if k != "key"})
        source = session.scalar(
            select(Source).where(
                Source.title == data.title,
                Source.publisher == data.publisher,
                Source.published_on == data.published_on,
            )
        )
        if source is None:
            source = catalog.create_source(session, data=data, actor=SEED)
            report.sources += 1
        sources[_required(row, "key")] = source

    for row in _rows(directory / "attendance.csv"):
        course = courses[_required(row, "course")]
        period = Period.parse(_required(row, "period"))
        exists = session.scalar(
            select(Figure.id).where(
                Figure.course_id == course.id,
                Figure.year == period.year,
                Figure.start_month == period.start_month,
                Figure.end_month == period.end_month,
            )
        )
        if exists is None:
            values = {k: v for k, v in row.items() if k != "source" and v is not None}
            figure = FigureIn.model_validate(
                {**values, "source_id": sources[_required(row, "source")].id}
            )
            attendance.create(session, data=figure, actor=SEED)
            report.figures += 1
    return report
