"""Scale-out: several nodes and workers on one database stay coherent, metrics and the
write rate hold across workers, work that cannot start in time is a 503, and the
response cache keeps to its byte budget."""

import asyncio
import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db.change_mark import mark_path, note_change
from app.db.session import make_engine
from app.db.version import CHECK_EVERY, VersionReader, VersionUnavailable
from app.main import create_app
from app.settings import Settings
from tests.conftest import Keys, on_postgres, run_cli
from tests.test_cli import serving
from tests.test_read_api import assert_problem

pytestmark = pytest.mark.slow  # processes, browsers or seconds of work: not in the fast lane

FIGURE = {"course": "basic-sro", "period": "2019-09/2019-12", "completions": 600, "source_id": 1}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def changed_within(base: str, etag: str, seconds: float) -> httpx.Response:
    """Poll /years/2019 until its ETag is no longer `etag`; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        answer = httpx.get(f"{base}/api/v1/years/2019")
        if answer.headers["etag"] != etag:
            return answer
        assert time.monotonic() < deadline, f"{base} still served {etag} after {seconds} s"


def log_of(tmp_path: Path, base: str) -> Path:
    return tmp_path / f"serve-{base.rsplit(':', 1)[1]}.log"


def wait_for_line(log: Path, needle: str, count: int = 1, seconds: float = 30) -> None:
    """Wait until `needle` is in `log` `count` times (the event), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while log.read_text().count(needle) < count:
        assert time.monotonic() < deadline, f"no {needle!r} in {log}:\n{log.read_text()}"
        time.sleep(0.01)


def test_two_nodes_stay_coherent_after_writes_from_either_and_the_cli(
    database_url: str, keys: Keys, tmp_path: Path
) -> None:
    with (
        serving(tmp_path, database_url=database_url) as a,
        serving(tmp_path, database_url=database_url) as b,
    ):
        before = httpx.get(f"{b}/api/v1/years/2019")
        assert before.json()["total"] == 6730
        assert httpx.get(f"{b}/api/v1/years/2019").headers["etag"] == before.headers["etag"]

        made = httpx.post(f"{a}/api/v1/attendance", json=FIGURE, headers=bearer(keys.write))
        assert made.status_code == 201
        after = changed_within(b, before.headers["etag"], seconds=1.0)
        assert after.json()["total"] == 7330
        for _ in range(20):  # never the old body again
            assert httpx.get(f"{b}/api/v1/years/2019").json()["total"] == 7330

        figures = tmp_path / "one.csv"
        figures.write_text(
            "course,period,completions,source_id\nadvanced-sro,2019-09/2019-12,150,1\n"
        )
        run_cli("import", str(figures), cwd=tmp_path, database_url=database_url)
        for node in (a, b):
            imported = changed_within(node, after.headers["etag"], seconds=1.0)
            assert imported.json()["total"] == 7480


@pytest.mark.skipif(not on_postgres(), reason="LISTEN/NOTIFY is PostgreSQL's")
def test_a_node_that_loses_its_listening_connection_serves_nothing_stale(
    database_url: str, keys: Keys, tmp_path: Path
) -> None:
    with (
        serving(tmp_path, database_url=database_url) as a,
        serving(tmp_path, database_url=database_url) as b,
    ):
        log = log_of(tmp_path, b)
        wait_for_line(log, "listening for changes")
        before = httpx.get(f"{b}/api/v1/years/2019")
        engine = make_engine(database_url)
        with engine.begin() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'enrollment-stats-listener' "
                    "AND datname = current_database()"
                )
            ).scalar()
        engine.dispose()
        assert killed == 2  # one listener per node
        wait_for_line(log, "stopped listening")

        made = httpx.post(f"{a}/api/v1/attendance", json=FIGURE, headers=bearer(keys.write))
        assert made.status_code == 201
        first = httpx.get(f"{b}/api/v1/years/2019")  # the very next answer is new
        assert first.headers["etag"] != before.headers["etag"]
        assert first.json()["total"] == 7330

        wait_for_line(log, "listening for changes", count=2)  # it listens again
        revised = httpx.patch(
            f"{a}/api/v1/attendance/{made.json()['id']}",
            json={"completions": 610},
            headers=bearer(keys.write),
        )
        assert revised.status_code == 200
        assert changed_within(b, first.headers["etag"], 1.0).json()["total"] == 7340


@pytest.fixture
def sqlite_reader(database_url: str) -> Iterator[tuple[VersionReader, sqlite3.Connection]]:
    """A worker's version reader on the SQLite file, and another connection to that file
    in the same process."""
    reader = VersionReader(make_engine(database_url))
    other = sqlite3.connect(str(reader.engine.url.database), isolation_level=None)
    yield reader, other
    other.close()
    reader.close()
    reader.engine.dispose()


@pytest.mark.skipif(on_postgres(), reason="SQLite's change mark")
def test_a_sqlite_worker_reads_every_commit_at_its_next_request(
    sqlite_reader: tuple[VersionReader, sqlite3.Connection],
) -> None:
    """A write that commits and rewrites the change mark, as the app's write sessions do,
    is seen by the very next read, through checkpoints that restart the WAL; an
    uncommitted one is not."""
    reader, writer = sqlite_reader
    database = str(reader.engine.url.database)
    bump = "UPDATE data_version SET version = version + 1 WHERE id = 1"

    async def reads() -> None:
        first = await reader.read()
        assert first > 0
        assert await reader.read() == first
        for n in range(1, 201):
            writer.execute(bump)
            note_change(database)
            if n % 50 == 0:  # the next commit starts the WAL over from its first frame
                assert writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
            assert await reader.read() == first + n
            assert await reader.read() == first + n
        writer.execute("BEGIN")
        writer.execute(bump)
        note_change(database)  # a mark before the commit: the version read is the old one
        assert await reader.read() == first + 200  # not yet committed
        writer.execute("ROLLBACK")
        assert await reader.read() == first + 200

    asyncio.run(reads())


@pytest.mark.skipif(on_postgres(), reason="SQLite's change mark")
def test_a_sqlite_write_that_bypasses_the_app_is_seen_within_a_second_or_so(
    sqlite_reader: tuple[VersionReader, sqlite3.Connection],
) -> None:
    """A commit that leaves the mark as it was (the sqlite3 shell, or a process killed
    between its commit and its mark) is found by the reader's own read of the version,
    made once a second; a mark file deleted and made again is opened again."""
    reader, writer = sqlite_reader
    database = str(reader.engine.url.database)

    async def version_after(seconds: float, old: int) -> int:
        deadline = time.monotonic() + seconds
        while (version := await reader.read()) == old and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return version

    async def reads() -> None:
        first = await reader.read()
        writer.execute("UPDATE data_version SET version = version + 1 WHERE id = 1")
        assert await version_after(5 * CHECK_EVERY, first) == first + 1

        mark_path(database).unlink()  # the next write makes a new file the reader lacks
        writer.execute("UPDATE data_version SET version = version + 1 WHERE id = 1")
        note_change(database)
        assert await version_after(5 * CHECK_EVERY, first + 1) == first + 2
        writer.execute("UPDATE data_version SET version = version + 1 WHERE id = 1")
        note_change(database)
        assert await reader.read() == first + 3  # at once: the reader has the new file

    asyncio.run(reads())


@pytest.mark.skipif(on_postgres(), reason="SQLite's private version connection")
def test_a_version_that_cannot_be_read_is_503_never_a_guess(database_url: str) -> None:
    """Two states must never share an ETag: when the data version cannot be read, a GET
    (a cached one too) is a 503 with Retry-After, and once it can, the answers resume."""
    app = create_app(Settings(database_url=database_url))
    other = sqlite3.connect(str(app.state.engine.url.database), isolation_level=None)
    with TestClient(app) as client:
        first = client.get("/api/v1/years")
        assert first.status_code == 200
        assert client.get("/api/v1/years").headers["etag"] == first.headers["etag"]  # a hit
        other.execute("ALTER TABLE data_version RENAME TO data_version_away")
        note_change(str(app.state.engine.url.database))  # as a write through the app would
        for headers in ({}, {"If-None-Match": first.headers["etag"]}):
            refused = client.get("/api/v1/years", headers=headers)
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "2"
        with pytest.raises(VersionUnavailable):
            asyncio.run(app.state.version_reader.read())
        other.execute("ALTER TABLE data_version_away RENAME TO data_version")
        again = client.get("/api/v1/years")
        assert (again.status_code, again.headers["etag"]) == (200, first.headers["etag"])
    other.close()
    app.state.engine.dispose()


def requests_counted(base: str, route: str) -> float:
    text_ = httpx.get(f"{base}/metrics").text
    found = re.search(
        rf'http_requests_total\{{method="GET",route="{re.escape(route)}",status="200"\}} (\S+)',
        text_,
    )
    return float(found.group(1)) if found else 0.0


def test_metrics_add_up_over_two_workers(database_url: str, tmp_path: Path) -> None:
    route = "/api/v1/courses/{slug}"
    with serving(tmp_path, "--workers", "2", database_url=database_url) as base:
        pids = set()
        for _ in range(40):  # a new connection each: both workers answer some
            answer = httpx.get(f"{base}/api/v1/courses/basic-sro")
            assert answer.status_code == 200
        deadline = time.monotonic() + 10
        while requests_counted(base, route) < 40:  # the last count lands after its answer
            assert time.monotonic() < deadline
        scrapes = [requests_counted(base, route) for _ in range(30)]
        assert scrapes == [40.0] * 30
        log = log_of(tmp_path, base).read_text()
        pids = set(re.findall(r"Started server process \[(\d+)\]", log))
    assert len(pids) == 2


def test_the_write_rate_holds_across_two_workers(
    database_url: str, keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRITE_RATE_LIMIT", "5")
    with serving(tmp_path, "--workers", "2", database_url=database_url) as base:
        answers = [
            httpx.post(
                f"{base}/api/v1/attendance",
                json={**FIGURE, "period": f"2019-{month:02d}"},
                headers=bearer(keys.write),
            )
            for month in range(9, 13)
        ] + [
            httpx.post(
                f"{base}/api/v1/courses",
                json={"slug": f"rate-{n}", "name": f"Rate {n}"},
                headers=bearer(keys.write),
            )
            for n in range(4)
        ]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 3
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60


@pytest.fixture
def narrow(database_url: str) -> Iterator[TestClient]:
    """The app with one database reader and a short wait."""
    settings = Settings(
        database_url=database_url, db_pool_size=1, db_max_overflow=0, db_wait_seconds=0.3
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def test_a_full_read_queue_is_503_while_health_and_cache_hits_answer(narrow: TestClient) -> None:
    cached = narrow.get("/api/v1/courses/basic-sro")
    assert cached.status_code == 200
    limiter = narrow.app.state.reader.limiter  # type: ignore[attr-defined]
    holder = object()
    portal = narrow.portal
    assert portal is not None
    portal.call(limiter.acquire_on_behalf_of_nowait, holder)  # the one reader is busy
    try:
        busy = narrow.get("/api/v1/years")
        body = assert_problem(busy, 503)
        assert busy.headers["retry-after"] == "1"
        assert "busy" in str(body["detail"])
        assert narrow.get("/health").json() == {"status": "ok"}
        hit = narrow.get("/api/v1/courses/basic-sro")
        assert hit.status_code == 200
        assert hit.headers["etag"] == cached.headers["etag"]
    finally:
        portal.call(limiter.release_on_behalf_of, holder)
    assert narrow.get("/api/v1/years").status_code == 200


def test_a_writer_behind_a_held_lock_gets_503_not_500(
    narrow: TestClient, keys: Keys, database_url: str
) -> None:
    engine = make_engine(database_url)
    with engine.connect() as other:
        if on_postgres():  # a writer of the course holds its lock (as an import does)
            other.execute(text("SELECT pg_advisory_lock(1)"))  # basic-sro is course 1
        else:  # another process holds SQLite's write lock (as an import does)
            raw = other.connection.dbapi_connection
            assert raw is not None
            raw.execute("BEGIN IMMEDIATE")
        answer = narrow.post("/api/v1/attendance", json=FIGURE, headers=bearer(keys.write))
        body = assert_problem(answer, 503)
        assert int(answer.headers["retry-after"]) >= 1
        assert "busy" in str(body["detail"])
        if on_postgres():
            other.execute(text("SELECT pg_advisory_unlock_all()"))
        else:
            raw.execute("ROLLBACK")
    engine.dispose()
    again = narrow.post("/api/v1/attendance", json=FIGURE, headers=bearer(keys.write))
    assert again.status_code == 201


def test_the_response_cache_keeps_to_its_byte_budget(database_url: str, keys: Keys) -> None:
    app = create_app(Settings(database_url=database_url, response_cache_bytes=20_000))
    cache = app.state.response_cache
    # uncompressed answers (gzip ones are a fifth of the size: all twelve would fit)
    with TestClient(app, headers={"accept-encoding": "identity"}) as client:
        for limit in range(1, 13):
            assert client.get("/api/v1/attendance", params={"limit": limit}).status_code == 200
            assert cache.bytes <= 20_000
        assert 0 < len(cache.entries) < 12  # the oldest pages went
        before = len(cache.entries)
        first = client.get("/api/v1/years")
        for n in range(50):  # cache-busters make no entries
            busted = client.get("/api/v1/years", params={"_": n})
            assert busted.headers["etag"] == first.headers["etag"]
        for n in range(50):  # nor do parameters the route does not declare: each is a 422
            assert client.get("/api/v1/years", params={"junk": n}).status_code == 422
        assert len(cache.entries) <= before + 1
        made = client.post("/api/v1/attendance", json=FIGURE, headers=bearer(keys.write))
        assert made.status_code == 201
        assert client.get("/api/v1/years").status_code == 200
        assert len(cache.entries) == 1  # entries of the older version are gone
    app.state.engine.dispose()


def test_as_of_moments_between_two_writes_share_one_answer(client: TestClient, keys: Keys) -> None:
    made = client.post("/api/v1/attendance", json=FIGURE, headers=bearer(keys.write))
    assert made.status_code == 201
    written = made.json()["recorded_at"]  # e.g. 2026-11-29T11:00:00.123456Z
    moment = datetime.fromisoformat(written)
    tick = timedelta(microseconds=1)

    def year(as_of: str | datetime) -> httpx.Response:
        text_ = as_of if isinstance(as_of, str) else as_of.isoformat()
        return client.get("/api/v1/years/2019", params={"as_of": text_})

    at_write = year(written)
    later = [year(moment + tick), year(moment + timedelta(hours=1)), year("9999-01-01")]
    assert at_write.json()["total"] == 7330
    for answer in later:
        assert answer.headers["etag"] == at_write.headers["etag"]
        assert answer.json() == at_write.json()
    before = year(moment - tick)
    assert before.json()["total"] == 6730
    assert before.headers["etag"] != at_write.headers["etag"]
    changes = client.get(
        "/api/v1/stats/changes", params={"from": 2018, "to": 2019, "as_of": written}
    )
    assert changes.json()["all_courses"]["to_total"] == 7330
