"""Courses and sources: look-ups and lists."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Course, Source
from app.errors import NotFound
from app.services.pagination import PageResult, paginate


def get_course(session: Session, *, slug: str) -> Course:
    """The course with `slug`, or 404."""
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound(f"No course '{slug}'.")
    return course


def list_courses(session: Session, *, limit: int, cursor: str | None) -> PageResult[Course]:
    """Courses in the order they were added."""
    return paginate(session, select(Course), key=Course.id, limit=limit, cursor=cursor)


def get_source(session: Session, *, source_id: int) -> Source:
    """The source with `source_id`, or 404."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"No source {source_id}.")
    return source


def list_sources(session: Session, *, limit: int, cursor: str | None) -> PageResult[Source]:
    """Sources in the order they were added."""
    return paginate(session, select(Source), key=Source.id, limit=limit, cursor=cursor)
