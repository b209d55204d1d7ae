"""The `enrollment-stats` command line: serve, migrate, seed, import, export, keys."""

import csv
import gc
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError

from app.db import migrate
from app.db.session import describe, make_engine, make_sessionmaker, transaction, unreachable
from app.errors import DomainError
from app.resources import resource_dir
from app.server import BoundedHeadProtocol
from app.services import imports, keys, package
from app.services.audit import Actor
from app.services.seed import SeedReport, is_blank, seed
from app.settings import get_settings

cli = typer.Typer(help="Training enrollment statistics API.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys for writes: create, list, revoke.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")


def _engine() -> Engine:
    """The configured database, or a one-line error that names it and the fix."""
    settings = get_settings()
    try:
        engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    except (ArgumentError, ValueError) as exc:  # not a URL SQLAlchemy can read
        typer.echo(f"error: DATABASE_URL is not a database URL ({exc}).", err=True)
        raise typer.Exit(2) from None
    problem = unreachable(engine)
    if problem is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    return engine


def _migrated() -> Engine:
    """The database, brought to the newest migration first (a no-op when it is)."""
    engine = _engine()
    migrate.upgrade(engine)
    return engine


def _seed(engine: Engine) -> SeedReport:
    with transaction(make_sessionmaker(engine, write=True)) as session:
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
    migrate.upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        blank = is_blank(session)
    if blank:  # a new database, or one where only keys were made so far
        _say(_seed(engine))
    host, port = host or settings.host, port or settings.port
    typer.echo(f"serving {describe(engine)} on http://{host}:{port} with {workers} worker(s)")
    engine.dispose()
    with ExitStack() as stack:
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # prometheus_client's multiprocess mode: set before any worker starts, so a
            # scrape through the shared port adds up every worker (docs/deployment.md).
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="es-metrics-"))
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            log_level=settings.log_level,
            access_log=False,  # the app writes its own JSON access log (ACCESS_LOG)
            http=BoundedHeadProtocol,
            server_header=False,  # no `server: uvicorn` on every answer (docs/deployment.md)
        )


@cli.command("migrate")
def migrate_cmd() -> None:
    """Bring the database schema to the newest migration."""
    engine = _migrated()
    typer.echo(f"database at migration {migrate.current_revision(engine)}")


@cli.command("seed")
def seed_cmd() -> None:
    """Load the press release's courses, source and figures (adds only what is missing)."""
    _say(_seed(_migrated()))


def _fail(exc: DomainError) -> None:
    typer.echo(f"error: {exc.detail}", err=True)
    for e in exc.errors or []:
        where = f"row {e['row']}, " if "row" in e else ""
        typer.echo(f"  {where}{e['field']}: {e['message']}", err=True)
    raise typer.Exit(2)


def _lines(fh: TextIO, bar: Any) -> Iterator[str]:
    """The file's lines, moving the progress bar by the characters read."""
    done = 0
    for n, line in enumerate(fh, start=1):
        done += len(line)
        if n % 10_000 == 0:
            bar.update(done - bar.pos)
        yield line
    bar.update(done - bar.pos)


@cli.command("import")
def import_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="CSV, JSON or XLSX file, or a data package folder (`export --package`).",
        ),
    ],
    mode: Annotated[
        str, typer.Option(help="'create' refuses existing periods; 'upsert' revises them.")
    ] = "create",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; store nothing.")
    ] = False,
) -> None:
    """Import figures from a file, all or nothing, with every rule checked first."""
    if mode not in ("create", "upsert"):
        raise typer.BadParameter("mode is 'create' or 'upsert'")
    engine = _migrated()
    if file.is_dir():
        _import_package(engine, file, dry_run=dry_run)
        return
    size = file.stat().st_size
    try:
        with (
            without_cycle_collector(),
            file.open(encoding="utf-8-sig", newline="") as fh,
            typer.progressbar(length=size, label="reading", file=sys.stderr) as bar,
            transaction(make_sessionmaker(engine, write=True)) as session,
        ):
            rows: Iterable[Any]
            if file.suffix.lower() == ".xlsx":
                rows = imports.parse_xlsx(file.read_bytes())
            else:
                first = fh.read(1)
                fh.seek(0)
                rows = (
                    imports.parse_json(fh.read())
                    if file.suffix.lower() == ".json" or first == "["
                    else imports.parse_csv(_lines(fh, bar))
                )
            report = imports.run(
                session,
                rows,
                actor=Actor("cli"),
                mode="upsert" if mode == "upsert" else "create",
                dry_run=dry_run,
                upsert_hint="--mode upsert",
            )
    except DomainError as exc:
        _fail(exc)
    done = "would import" if dry_run else "imported"
    typer.echo(
        f"{done} {report.rows} rows: {report.created} created, {report.revised} revised, "
        f"{report.unchanged} unchanged" + (" (dry run: nothing stored)" if dry_run else "")
    )


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """The cyclic garbage collector off for a command's import: a million small tuples
    and no reference cycles, which it would only rescan over and over (a third of a
    large import's time). Only here, in the command's own process: in a server it would
    pause collection for every request at once."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _import_package(engine: Engine, folder: Path, *, dry_run: bool) -> None:
    """Restore a data package into an empty database, all or nothing."""
    if dry_run:
        raise typer.BadParameter("--dry-run checks figure files; a package is restored whole")
    try:
        with transaction(make_sessionmaker(engine, write=True)) as session:
            counts = package.load(session, folder)
    except DomainError as exc:
        _fail(exc)
    typer.echo("restored " + ", ".join(f"{n} {name}" for name, n in counts.items()))


@cli.command("export")
def export_cmd(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    package_dir: Annotated[
        Path | None,
        typer.Option(
            "--package",
            help="Write the whole dataset (courses, sources, figures, revisions, audit log) "
            "as a Frictionless Data Package into this folder.",
        ),
    ] = None,
) -> None:
    """Write every current figure as CSV, in the columns `import` reads; or, with
    `--package`, the whole dataset, which `import FOLDER` restores."""
    engine = _migrated()
    if package_dir is not None:
        with transaction(make_sessionmaker(engine)) as session:
            counts = package.export(session, package_dir)
        typer.echo(
            f"wrote {package_dir / package.DESCRIPTOR}: "
            + ", ".join(f"{n} {name}" for name, n in counts.items())
        )
        return
    with transaction(make_sessionmaker(engine)) as session:
        fh = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
        try:
            writer = csv.DictWriter(fh, fieldnames=imports.COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(imports.export_rows(session))
        finally:
            if output:
                fh.close()


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key (shown in the audit log).")],
    scope: Annotated[
        list[str], typer.Option(help="'write', and 'admin' for the audit log; repeatable.")
    ],
) -> None:
    """Make a key; it is printed once, alone on the last line, and stored only as a hash."""
    with transaction(make_sessionmaker(_migrated(), write=True)) as session:
        try:
            key, plaintext = keys.create_key(session, name=name, scopes=scope)
        except DomainError as exc:
            _fail(exc)
        typer.echo(f"created key '{key.name}' ({key.prefix}) with scopes {key.scopes}.")
        typer.echo("Store it now: it cannot be shown again.")
    typer.echo(plaintext)


@keys_cli.command("list")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per key.")] = False,
) -> None:
    """Every key: name, prefix, scopes, created, last used, revoked."""
    with transaction(make_sessionmaker(_migrated())) as session:
        rows: list[dict[str, Any]] = [
            {
                "name": k.name,
                "prefix": k.prefix,
                "scopes": k.scopes,
                "created_at": k.created_at.isoformat(),
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in keys.list_keys(session)
        ]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    typer.echo(
        f"{'prefix':<14} {'name':<20} {'scopes':<12} {'created':<20} {'last used':<20} revoked"
    )
    for r in rows:
        typer.echo(
            f"{r['prefix']:<14} {r['name'][:20]:<20} {r['scopes']:<12} "
            f"{r['created_at'][:19]:<20} {(r['last_used_at'] or '-')[:19]:<20} "
            f"{(r['revoked_at'] or '-')[:19]}"
        )


@keys_cli.command("revoke")
def keys_revoke(
    ident: Annotated[str, typer.Argument(help="The key's prefix (or its name, if unique).")],
) -> None:
    """Revoke a key: it stops working at once."""
    with transaction(make_sessionmaker(_migrated(), write=True)) as session:
        try:
            key = keys.revoke(session, ident=ident)
        except DomainError as exc:
            _fail(exc)
        typer.echo(f"revoked key '{key.name}' ({key.prefix})")


def main() -> None:
    """Console-script entry point."""
    cli()
