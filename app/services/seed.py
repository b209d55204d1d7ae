"""Load the release's courses, source and figures from `seed_data/`, idempotently."""

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Course, Figure, Source
from app.domain.periods import Period
from app.services import totals


@dataclass
class SeedReport:
    """How many rows the seed added; zero everywhere on a second run."""

    courses: int = 0
    sources: int = 0
    figures: int = 0


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
    """Add what `directory` holds and the database lacks; never change stored rows."""
    report = SeedReport()
    courses: dict[str, Course] = {}
    for row in _rows(directory / "courses.csv"):
        slug = _required(row, "slug")
        course = session.scalar(select(Course).where(Course.slug == slug))
        if course is None:
            year = row.get("first_offered_year")
            course = Course(
                slug=slug,
                name=_required(row, "name"),
                description=row.get("description"),
                audience=row.get("audience"),
                first_offered_year=int(year) if year else None,
            )
            session.add(course)
            report.courses += 1
        courses[slug] = course

    sources: dict[str, Source] = {}
    for row in _rows(directory / "sources.csv"):
        title, publisher = _required(row, "title"), _required(row, "publisher")
        published_on = date.fromisoformat(_required(row, "published_on"))
        source = session.scalar(
            select(Source).where(
                Source.title == title,
                Source.publisher == publisher,
                Source.published_on == published_on,
            )
        )
        if source is None:
            source = Source(
                title=title,
                publisher=publisher,
                place=row.get("place"),
                published_on=published_on,
                url=row.get("url"),
                notes=row.get("notes"),
            )
            session.add(source)
            report.sources += 1
        sources[_required(row, "key")] = source
    session.flush()

    touched: set[tuple[int, int]] = set()
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
            session.add(
                Figure(
                    course_id=course.id,
                    year=period.year,
                    start_month=period.start_month,
                    end_month=period.end_month,
                    completions=int(_required(row, "completions")),
                    status=row.get("status") or "final",
                    note=row.get("note"),
                    source_id=sources[_required(row, "source")].id,
                )
            )
            report.figures += 1
            touched.add((course.id, period.year))
    totals.refresh(session, touched)
    return report
