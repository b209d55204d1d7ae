"""Compression, Last-Modified and immutable answers: what a dashboard's browser and
caches see, on the real app (and over real HTTP)."""

import gzip
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import AddFigure, Keys

CHANGES = "/api/v1/stats/changes?from=2018&to=2019"


def test_gzip_bodies_decode_to_the_same_json_and_revalidate(client: TestClient) -> None:
    plain = client.get(CHANGES, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert len(plain.content) > 1024
    packed = client.get(CHANGES, headers={"accept-encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.json() == plain.json()  # httpx decodes it
    assert packed.headers["vary"] == "Accept, Accept-Encoding, Origin"
    assert packed.headers["etag"] != plain.headers["etag"]  # a distinct ETag per encoding
    hit = client.get(CHANGES, headers={"accept-encoding": "gzip"})  # from the cache
    assert hit.headers["content-encoding"] == "gzip"
    assert hit.headers["etag"] == packed.headers["etag"]
    assert int(hit.headers["content-length"]) < len(plain.content) / 2
    again = client.get(
        CHANGES, headers={"accept-encoding": "gzip", "if-none-match": packed.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["vary"] == "Accept, Accept-Encoding, Origin"
    # A small answer is sent as it is.
    small = client.get("/api/v1/courses/basic-sro", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers


def test_last_modified_is_the_last_write_and_if_modified_since_revalidates(
    client: TestClient, add_figure: AddFigure
) -> None:
    first = client.get("/api/v1/years")
    stamp = first.headers["last-modified"]
    moment = parsedate_to_datetime(stamp)
    assert datetime.now(UTC) - moment < timedelta(days=1)  # the seed's load
    assert client.get("/api/v1/years", headers={"if-modified-since": stamp}).status_code == 304
    earlier = format_datetime(moment - timedelta(seconds=1), usegmt=True)
    assert client.get("/api/v1/years", headers={"if-modified-since": earlier}).status_code == 200
    # If-None-Match wins over If-Modified-Since when both are sent.
    both = client.get("/api/v1/years", headers={"if-modified-since": stamp, "if-none-match": '"x"'})
    assert both.status_code == 200
    junk = client.get("/api/v1/years", headers={"if-modified-since": "yesterday"})
    assert junk.status_code == 200  # a date that does not parse is ignored
    add_figure("basic-sro", "2019-09", 1)
    later = client.get("/api/v1/years")
    assert parsedate_to_datetime(later.headers["last-modified"]) >= moment
    stale = client.get("/api/v1/years", headers={"if-none-match": first.headers["etag"]})
    assert stale.status_code == 200  # the data changed


def test_only_an_answer_pinned_to_a_past_as_of_is_immutable(client: TestClient) -> None:
    past = client.get("/api/v1/years?as_of=2020-01-01")
    assert past.status_code == 200
    assert past.headers["cache-control"] == "public, max-age=31536000, immutable"
    hit = client.get("/api/v1/years?as_of=2020-01-01")
    assert hit.headers["cache-control"] == "public, max-age=31536000, immutable"
    future = client.get("/api/v1/years?as_of=2999-01-01")
    assert future.headers["cache-control"] == "public, max-age=60"
    assert future.json() == client.get("/api/v1/years").json()
    assert client.get("/api/v1/years").headers["cache-control"] == "public, max-age=60"
    vintage = client.get("/api/v1/years?vintage=2019-09-16")
    assert vintage.headers["cache-control"] == "public, max-age=60"
    now = datetime.now(UTC).isoformat()
    recent = client.get(f"/api/v1/years?as_of={now.replace('+00:00', 'Z')}")
    assert recent.headers["cache-control"] == "public, max-age=60"  # may still gain a write


def test_scripts_in_browsers_may_read_the_validators(client: TestClient) -> None:
    read = client.get("/api/v1/years", headers={"origin": "https://dash.example"})
    exposed = {h.strip() for h in read.headers["access-control-expose-headers"].split(",")}
    assert {"ETag", "Last-Modified", "X-Request-ID", "Retry-After", "Link"} <= exposed


def test_writes_and_private_reads_are_compressed_too(client: TestClient, keys: Keys) -> None:
    audit = client.get(
        "/api/v1/audit",
        headers={"authorization": f"Bearer {keys.admin}", "accept-encoding": "gzip"},
    )
    assert audit.status_code == 200
    assert audit.headers["cache-control"] == "private, no-store"
    assert audit.headers["content-encoding"] == "gzip"


@pytest.mark.slow  # starts the service
def test_over_real_http(served: tuple[str, Keys]) -> None:
    base, _ = served
    with httpx.Client(base_url=base) as http:
        raw = http.get(CHANGES, headers={"accept-encoding": "gzip"})
        assert raw.headers["content-encoding"] == "gzip"
        with http.stream("GET", CHANGES, headers={"accept-encoding": "gzip"}) as answer:
            body = b"".join(answer.iter_raw())
        assert gzip.decompress(body) == http.get(CHANGES).content  # the same JSON bytes
        tag, stamp = raw.headers["etag"], raw.headers["last-modified"]
        assert (
            http.get(CHANGES, headers={"accept-encoding": "gzip", "if-none-match": tag}).status_code
            == 304
        )
        assert http.get(CHANGES, headers={"if-modified-since": stamp}).status_code == 304
