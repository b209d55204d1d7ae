"""Where each resource lives, said once: routes' `Location` headers, the audit log's
`resource` and idempotency records all name a resource by these."""

API = "/api/v1"


def course(slug: str) -> str:
    """A course's path: `/api/v1/courses/basic-sro`."""
    return f"{API}/courses/{slug}"


def figure(figure_id: int) -> str:
    """A figure's path: `/api/v1/attendance/2`."""
    return f"{API}/attendance/{figure_id}"


def source(source_id: int) -> str:
    """A source's path: `/api/v1/sources/1`."""
    return f"{API}/sources/{source_id}"


IMPORT = f"{API}/attendance/import"
