"""Courses and sources: look-ups and lists."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import urls
from app.db.models import Course, Figure, FigureRevision, Source
from app.errors import Conflict, Invalid, NotFound
from app.schemas.writes import CourseIn, CourseUpdate, SourceIn
from app.services import audit, idempotency
from app.services.audit import Actor
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


def create_course(session: Session, *, data: CourseIn, actor: Actor) -> Course:
    """A new course; 409 if the slug is taken."""
    if session.scalar(select(Course.id).where(Course.slug == data.slug)) is not None:
        raise Conflict(
            f"A course '{data.slug}' exists already.",
            errors=[{"field": "slug", "message": "taken"}],
        )
    course = Course(**data.model_dump())
    _add(session, actor, course, data, "course.create", lambda: urls.course(course.slug))
    return course


def _course_values(course: Course) -> dict[str, Any]:
    return {k: getattr(course, k) for k in CourseIn.model_fields}


def update_course(session: Session, *, slug: str, data: CourseUpdate, actor: Actor) -> Course:
    """Change a course's fields; a first-offered year after its figures is a 422 (R4)."""
    course = get_course(session, slug=slug)
    before = _course_values(course)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        raise Invalid(
            "A course's name cannot be null.", errors=[{"field": "name", "message": "null"}]
        )
    first = changes.get("first_offered_year")
    if first is not None:
        earliest = session.scalar(
            select(func.min(Figure.year)).where(Figure.course_id == course.id)
        )
        if earliest is not None and earliest < first:
            raise Invalid(
                f"{slug} has figures for {earliest}, before {first}.",
                errors=[
                    {"field": "first_offered_year", "message": f"after its {earliest} figures"}
                ],
            )
    for k, v in changes.items():
        setattr(course, k, v)
    session.flush()
    audit.record(
        session,
        actor,
        "course.update",
        urls.course(slug),
        before=before,
        after=_course_values(course),
    )
    return course


def delete_course(session: Session, *, slug: str, actor: Actor) -> None:
    """Delete a course without figures; 409 while it has figures or figure history."""
    course = get_course(session, slug=slug)
    live = session.scalar(select(func.count()).where(Figure.course_id == course.id)) or 0
    history = session.scalar(select(func.count()).where(FigureRevision.course_id == course.id)) or 0
    if live or history:
        raise Conflict(
            f"{slug} has {live} figures and {history} figure revisions; "
            "delete its figures first (their history keeps the course).",
        )
    before = _course_values(course)
    session.delete(course)
    session.flush()
    idempotency.forget(session, location=urls.course(slug))
    audit.record(session, actor, "course.delete", urls.course(slug), before=before)


def _add(
    session: Session,
    actor: Actor,
    row: Course | Source,
    data: CourseIn | SourceIn,
    action: str,
    resource: Callable[[], str],
) -> None:
    """Store a new row and its audit entry (`resource` names it once it has its id)."""
    session.add(row)
    session.flush()
    audit.record(
        session, actor, action=action, resource=resource(), after=data.model_dump(mode="json")
    )


def create_source(session: Session, *, data: SourceIn, actor: Actor) -> Source:
    """A new source; 409 if one with the same title, publisher and date exists."""
    values = data.model_dump(mode="json")
    values["published_on"] = data.published_on
    existing = session.scalar(
        select(Source).where(
            Source.title == data.title,
            Source.publisher == data.publisher,
            Source.published_on == data.published_on,
        )
    )
    if existing is not None:
        raise Conflict(f"That source exists already as source {existing.id}.")
    source = Source(**values)
    _add(session, actor, source, data, "source.create", lambda: urls.source(source.id))
    return source
