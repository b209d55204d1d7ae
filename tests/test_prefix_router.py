"""Each group of resources is a `PrefixRouter`: a request for another group's path is
answered without trying this group's routes (FastAPI tries every route of every
included router in turn, whatever the path)."""

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match
from starlette.types import Scope

from app.api.routes.prefix import PrefixRouter


def app_with(first: APIRouter, asked: list[str]) -> TestClient:
    """An app of `first` (whose routes note each path they are asked to match) and a
    second group under `/api/v1/second`."""

    class Noting(APIRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            asked.append(scope["path"])
            return super().matches(scope)

    first.route_class = Noting

    @first.get("/{n:int}")
    async def one(n: int) -> dict[str, int]:
        return {"first": n}

    @first.post("/{n:int}")
    async def change(n: int) -> dict[str, int]:
        return {"changed": n}

    second = PrefixRouter(prefix="/api/v1/second")

    @second.get("/{n:int}")
    async def two(n: int) -> dict[str, int]:
        return {"second": n}

    app = FastAPI()
    app.include_router(first)
    app.include_router(second)
    return TestClient(app)


def test_a_request_for_another_group_never_tries_its_routes() -> None:
    asked: list[str] = []
    client = app_with(PrefixRouter(prefix="/api/v1/first"), asked)

    assert client.get("/api/v1/second/2").json() == {"second": 2}
    assert client.get("/health").status_code == 404
    assert asked == []
    assert client.get("/api/v1/firstly/1").status_code == 404
    assert "/api/v1/firstly/1" in asked  # under its prefix, as text: looked at

    asked.clear()
    assert client.get("/api/v1/first/1").json() == {"first": 1}
    assert client.post("/api/v1/first/3").json() == {"changed": 3}
    assert client.put("/api/v1/first/3").status_code == 405  # its routes' methods still count
    assert "/api/v1/first/1" in asked


def test_a_plain_router_tries_its_routes_for_every_path() -> None:
    """What `PrefixRouter` saves, on the FastAPI this project runs."""
    asked: list[str] = []
    client = app_with(APIRouter(prefix="/api/v1/first"), asked)

    assert client.get("/api/v1/second/2").json() == {"second": 2}
    assert "/api/v1/second/2" in asked


@pytest.mark.parametrize("prefix", ["/api/v1/courses/{slug}", "/api/{version}"])
def test_a_prefix_with_a_parameter_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="literal prefix"):
        PrefixRouter(prefix=prefix)
