"""API keys: made once, stored as a SHA-256 hash, found by prefix, compared in constant time."""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import ApiKey
from app.errors import Invalid, NotFound

SCOPES = ("write", "admin")
KEY_MARK = "esk"
TOUCH_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def scopes_of(key: ApiKey) -> frozenset[str]:
    """The key's scopes; `admin` includes `write`."""
    scopes = frozenset(key.scopes.split(","))
    return scopes | {"write"} if "admin" in scopes else scopes


def create_key(session: Session, *, name: str, scopes: Sequence[str]) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is never stored and cannot be shown again.

    The key is `esk_<8 hex prefix>_<43 chars of 256-bit secret>`.
    """
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise Invalid(
            f"Scopes must be among {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}."
        )
    if not name.strip():
        raise Invalid("A key needs a name.")
    prefix = f"{KEY_MARK}_{secrets.token_hex(4)}"
    plaintext = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name.strip(),
        prefix=prefix,
        key_hash=_hash(plaintext),
        scopes=",".join(s for s in SCOPES if s in scopes),
    )
    session.add(key)
    session.flush()
    return key, plaintext


def authenticate(session: Session, token: str) -> ApiKey | None:
    """The live key `token` is, or None; the comparison takes the same time either way."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARK:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == f"{parts[0]}_{parts[1]}"))
    if key is None or not hmac.compare_digest(key.key_hash, _hash(token)):
        return None
    if key.revoked_at is not None:
        return None
    return key


def needs_touch(key: ApiKey, now: datetime) -> bool:
    """Whether to record a use now: at most once a minute per key, so that using a key
    does not take the database's write lock on every request."""
    return key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY


def touch(session: Session, key_id: int, now: datetime) -> None:
    """Record that the key was used at `now`."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first, revoked ones included."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke(session: Session, *, ident: str) -> ApiKey:
    """Revoke the key with this prefix (or, if unique, this name)."""
    matches = list(
        session.scalars(select(ApiKey).where(or_(ApiKey.prefix == ident, ApiKey.name == ident)))
    )
    if not matches:
        raise NotFound(f"No key with prefix or name '{ident}'.")
    if len(matches) > 1:
        raise Invalid(f"Several keys are named '{ident}'; revoke one by its prefix.")
    key = matches[0]
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key
