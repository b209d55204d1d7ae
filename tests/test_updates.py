"""What changed: `/api/v1/updates` and its Atom feed, read as a dashboard and a feed
reader (feedparser) read them, after real writes through the API."""

import re

import feedparser
from fastapi.testclient import TestClient

from tests.conftest import Keys


def _write(client: TestClient, keys: Keys) -> int:
    """A post, a revision of it and a deletion of a seeded figure; the version before."""
    before = client.get("/api/v1/updates?since_version=0&limit=1000").json()["items"][-1]["version"]
    auth = {"authorization": f"Bearer {keys.write}"}
    made = client.post(
        "/api/v1/attendance",
        json={"course": "sro-management", "period": "2019-09", "completions": 12, "source_id": 1},
        headers=auth,
    )
    assert made.status_code == 201
    figure = made.json()["id"]
    assert (
        client.patch(
            f"/api/v1/attendance/{figure}", json={"completions": 14}, headers=auth
        ).status_code
        == 200
    )
    assert client.delete("/api/v1/attendance/1", headers=auth).status_code == 204
    return int(before)


def test_updates_list_what_changed_after_a_version(client: TestClient, keys: Keys) -> None:
    seeded = client.get("/api/v1/updates").json()
    assert seeded["total"] == 12  # the release's twelve figures, created
    assert {i["kind"] for i in seeded["items"]} == {"created"}
    assert sum(i["completions_after"] for i in seeded["items"]) == 10_680
    before = _write(client, keys)
    answer = client.get(f"/api/v1/updates?since_version={before}")
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(i["kind"], i["completions_before"], i["completions_after"]) for i in items] == [
        ("created", None, 12),
        ("revised", 12, 14),
        ("deleted", 2273, None),
    ]
    assert [i["version"] for i in items] == [before + 1, before + 2, before + 3]
    assert items[2]["course"] == "basic-sro"
    assert items[2]["period"] == "2018-01/2018-12"
    assert items[0]["period_label"] == "Sep 2019"
    # never who: no key name or prefix anywhere in the answer
    text = answer.text
    assert "office" not in text
    assert keys.write[:8] not in text
    assert "recorded_by" not in text
    # the last version seen, passed back, hears nothing more
    last = items[-1]["version"]
    assert client.get(f"/api/v1/updates?since_version={last}").json()["items"] == []


def test_updates_page_oldest_first(client: TestClient) -> None:
    first = client.get("/api/v1/updates?limit=5").json()
    second = client.get(f"/api/v1/updates?limit=5&cursor={first['next_cursor']}").json()
    ids = [i["figure_id"] for i in first["items"] + second["items"]]
    assert ids == list(range(1, 11))
    assert client.get("/api/v1/updates?since_version=-1").status_code == 422


def test_the_atom_feed_parses_newest_first(client: TestClient, keys: Keys) -> None:
    _write(client, keys)
    answer = client.get("/api/v1/updates.atom")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/atom+xml"
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.bozo_exception  # well formed, as a reader takes it
    assert feed.version == "atom10"
    assert feed.feed.title.startswith("Training enrollment statistics")
    titles = [e.title for e in feed.entries[:3]]
    assert titles == [
        "Basic SRO, 2018: deleted (was 2,273)",
        "SRO Management, Sep 2019: revised, 12 → 14",
        "SRO Management, Sep 2019: 12 completions",
    ]
    assert feed.entries[0].link == "http://127.0.0.1:8000/api/v1/attendance/1"
    assert len({e.id for e in feed.entries}) == len(feed.entries) == 15
    assert not re.search(r"\boffice\b", answer.text)
    assert (
        client.get("/api/v1/updates.atom", headers={"accept": "application/json"}).status_code
        == 406
    )
