"""The `enrollment-stats` command line: serve, migrate, seed."""

from typing import Annotated

import typer
import uvicorn
from sqlalchemy import Engine

from app.db import migrate
from app.db.session import make_engine, make_sessionmaker, transaction
from app.resources import resource_dir
from app.services.seed import SeedReport, seed
from app.settings import get_settings

cli = typer.Typer(help="Training enrollment statistics API.", no_args_is_help=True)


def _engine() -> Engine:
    return make_engine(get_settings().database_url)


def _seed(engine: Engine) -> SeedReport:
    with transaction(make_sessionmaker(engine)) as session:
        return seed(session, resource_dir("seed_data"))


def _say(report: SeedReport) -> None:
    typer.echo(
        f"seeded: {report.courses} courses, {report.sources} sources, "
        f"{report.figures} figures added"
    )


@cli.command("serve")
def serve_cmd(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Migrate the database, seed it if it is new, and serve the API."""
    settings = get_settings()
    engine = _engine()
    new = migrate.is_empty(engine)
    migrate.upgrade(engine)
    if new:
        _say(_seed(engine))
    engine.dispose()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        reload=reload,
        log_level=settings.log_level,
    )


@cli.command("migrate")
def migrate_cmd() -> None:
    """Bring the database schema to the newest migration."""
    engine = _engine()
    migrate.upgrade(engine)
    typer.echo(f"database at migration {migrate.current_revision(engine)}")


@cli.command("seed")
def seed_cmd() -> None:
    """Load the press release's courses, source and figures (adds only what is missing)."""
    engine = _engine()
    migrate.upgrade(engine)
    _say(_seed(engine))


def main() -> None:
    """Console-script entry point."""
    cli()
