"""Domain errors: what went wrong, in the domain's words. No HTTP here: `app.api.problems`
maps each class to a status and renders it as `application/problem+json`."""

from typing import Any


class DomainError(Exception):
    """A failure a client can act on: a sentence for people and, optionally, per-field errors."""

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        error_count: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.error_count = error_count  # when `errors` lists only the first ones
        self.extra = extra or {}  # further members of the answer, e.g. `dry_run`


class Unauthorized(DomainError):
    """No key, or a key that is unknown or revoked."""


class Forbidden(DomainError):
    """A valid key without the scope the operation needs."""


class NotFound(DomainError):
    """The named resource does not exist."""


class Conflict(DomainError):
    """The request clashes with stored data (R1, R2, deletes with dependants)."""


class PreconditionFailed(DomainError):
    """`If-Match` names a version that is no longer current."""


class Invalid(DomainError):
    """The payload or parameters break a rule (R3, R4, bad values)."""


class TooLarge(DomainError):
    """The request is larger than the service takes (body, rows)."""


class Busy(DomainError):
    """The work could not start now; the client may retry after `retry_after` seconds."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RateLimited(Busy):
    """Too many writes with one key."""
