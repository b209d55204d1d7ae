"""Who may write: Bearer keys, their scopes, and the write counted against the rate limit."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.deps import WriteSessionDep
from app.api.state import state_of
from app.db.base import utcnow
from app.db.session import transaction
from app.errors import Forbidden, Unauthorized
from app.services import keys, rates
from app.services.audit import Actor


@dataclass(frozen=True)
class Principal:
    """The caller behind a valid key."""

    key_id: int
    name: str
    prefix: str
    scopes: frozenset[str]

    @property
    def actor(self) -> Actor:
        """The principal as the author of a change."""
        return Actor(self.name, self.prefix)


# Declares the scheme in the OpenAPI (and the Authorize button in /docs); `_bearer`
# reads the header itself, to say exactly what is wrong with it.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="A key made by `enrollment-stats keys create`, sent as `Bearer esk_...`.",
)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("This operation needs an API key: send 'Authorization: Bearer <key>'.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
    return token.strip()


def require(scope: str) -> Callable[..., Principal]:
    """A dependency admitting keys with `scope` (401 without a valid key, 403 without scope)."""

    def dependency(
        request: Request,
        _declared: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
    ) -> Principal:
        token = _bearer(request)
        with transaction(state_of(request.app).sessionmaker) as session:
            key = keys.authenticate(session, token)
        if key is None:
            raise Unauthorized("The API key is unknown or revoked.")
        scopes = keys.scopes_of(key)
        if scope not in scopes:
            raise Forbidden(f"The key '{key.name}' lacks the '{scope}' scope.")
        now = utcnow()
        if keys.needs_touch(key, now):
            with transaction(state_of(request.app).write_sessionmaker) as session:
                keys.touch(session, key.id, now)
        return Principal(key.id, key.name, key.prefix, scopes)

    return dependency


def counted_writer(
    request: Request,
    session: WriteSessionDep,
    who: Annotated[Principal, Depends(require("write"))],
) -> Principal:
    """A write key whose write is counted against `WRITE_RATE_LIMIT` (429 over it), in
    the request's write transaction."""
    rates.count_write(
        session,
        key_id=who.key_id,
        key_name=who.name,
        per_minute=state_of(request.app).settings.write_rate_limit,
        now=utcnow(),
    )
    return who


WriteKey = Annotated[Principal, Depends(counted_writer)]


AdminKey = Annotated[Principal, Depends(require("admin"))]
