"""Swagger UI and ReDoc served from this service, not from a CDN: FastAPI's own recipe
for self-hosted documentation (https://fastapi.tiangolo.com/how-to/custom-docs-ui-assets/)
with the JavaScript and CSS files the fastapi-offline package ships."""

from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static-offline-docs"
SWAGGER_FILES = {"js": "swagger-ui-bundle.js", "css": "swagger-ui.css", "favicon": "favicon.png"}
REDOC_FILES = {"js": "redoc.standalone.js", "favicon": "favicon.png"}
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def add_documentation(app: FastAPI) -> None:
    """`/docs` (Swagger UI), `/redoc` and their files, for `app`'s OpenAPI document."""
    folder = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(folder)), name="static-offline-docs")

    def urls(request: Request, kind: str, named: dict[str, str]) -> dict[str, Any]:
        """The OpenAPI document's and the files' URLs, under the root path."""
        root = request.scope.get("root_path", "")
        found = {f"{kind}_{k}_url": f"{root}{ASSETS}/{name}" for k, name in named.items()}
        return {"openapi_url": f"{root}{app.openapi_url}", **found}

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            **urls(request, "swagger", SWAGGER_FILES),
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            title=f"{app.title} - ReDoc",
            with_google_fonts=False,
            **urls(request, "redoc", REDOC_FILES),
        )
