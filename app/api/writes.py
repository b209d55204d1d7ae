"""Responses of writes: `201` + `Location`, replayed for a repeated `Idempotency-Key`."""

import json
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.api.auth import Principal
from app.services import idempotency


def created(
    request: Request,
    session: Session,
    who: Principal,
    idempotency_key: str | None,
    payload: str,
    make: Callable[[], tuple[BaseModel, str, dict[str, str]]],
) -> JSONResponse:
    """Run `make` (which returns the body, its Location and extra headers) once per key.

    `payload` is the request's canonical body, so a repeat is recognised whatever
    its whitespace; a key reused for another body is a 422.
    """
    fingerprint = idempotency.fingerprint(request.method, request.url.path, payload)
    if idempotency_key is not None:
        stored = idempotency.replay(
            session, api_key_id=who.key_id, key=idempotency_key, fingerprint=fingerprint
        )
        if stored is not None:
            headers = {"Idempotent-Replayed": "true", "Cache-Control": "no-store"}
            if stored.location:
                headers["Location"] = stored.location
            if stored.etag:
                headers["ETag"] = stored.etag
            return JSONResponse(json.loads(stored.body), stored.status_code, headers=headers)
    body, location, extra = make()
    content = body.model_dump(mode="json", by_alias=True)
    if idempotency_key is not None:
        idempotency.remember(
            session,
            api_key_id=who.key_id,
            key=idempotency_key,
            fingerprint=fingerprint,
            status_code=201,
            body=json.dumps(content),
            location=location,
            etag=extra.get("ETag"),
        )
    headers = {"Location": location, "Cache-Control": "no-store", **extra}
    return JSONResponse(content, 201, headers=headers)
