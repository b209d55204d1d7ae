"""Operational endpoints: liveness and readiness."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.db import migrate
from app.errors import problem
from app.schemas.common import Problem

router = APIRouter(tags=["operations"])


@router.get(
    "/health",
    summary="Process is up",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
def health() -> dict[str, str]:
    """Answers as long as the process serves HTTP; touches no database."""
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Database reachable and migrated",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {"status": "ready", "migration": "2026_11_28_initial"}
                }
            }
        },
        503: {
            "model": Problem,
            "description": "Database unreachable or migrations behind",
        },
    },
)
def ready(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is at the newest migration, else 503."""
    head = migrate.head_revision()
    try:
        current = migrate.current_revision(request.app.state.engine)
    except SQLAlchemyError:
        return problem(503, "The database is unreachable.", instance=request.url.path)
    if current != head:
        return problem(
            503,
            f"The database is at migration {current}, the code needs {head}: "
            "run `enrollment-stats migrate`.",
            instance=request.url.path,
        )
    return JSONResponse({"status": "ready", "migration": current})
