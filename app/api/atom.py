"""The updates as an Atom 1.0 feed (RFC 4287): newest first, each entry a change to one
figure, linking to it; ids and links absolute, at the service's public address."""

import xml.etree.ElementTree as ET
from datetime import datetime

from app.api.jsonstat import stamp
from app.schemas.updates import UpdateOut

ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "application/atom+xml"
ET.register_namespace("", ATOM)


def _el(parent: ET.Element | None, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    tag = f"{{{ATOM}}}{name}"
    node = ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def title(update: UpdateOut, name: str) -> str:
    """`Basic SRO, Jan–Aug 2019: revised, 2,516 → 2,530`."""
    before, after = update.completions_before, update.completions_after
    if update.kind == "created":
        what = f"{after:,} completions"
    elif update.kind == "revised":
        what = f"revised, {before:,} → {after:,}"
    else:
        what = f"deleted (was {before:,})"
    return f"{name}, {update.period_label}: {what}"


def _count(value: int | None) -> str:
    return "none" if value is None else str(value)


def feed(updates: list[UpdateOut], *, names: dict[str, str], base: str, updated: datetime) -> bytes:
    """The feed of `updates` (newest first); `names` gives each course's name."""
    root = _el(None, "feed")
    _el(root, "id", f"{base}/api/v1/updates.atom")
    _el(root, "title", "Training enrollment statistics: changes to figures")
    _el(root, "updated", stamp(updated))
    _el(_el(root, "author"), "name", "enrollment-stats")
    _el(root, "link", rel="self", type=MEDIA, href=f"{base}/api/v1/updates.atom")
    _el(root, "link", rel="alternate", type="application/json", href=f"{base}/api/v1/updates")
    for update in updates:
        entry = _el(root, "entry")
        figure = f"{base}/api/v1/attendance/{update.figure_id}"
        _el(entry, "id", f"{figure}/revisions#v{update.version}")
        _el(entry, "title", title(update, names.get(update.course, update.course)))
        _el(entry, "updated", stamp(update.recorded_at))
        _el(entry, "link", rel="alternate", href=figure)
        _el(entry, "category", term=update.kind)
        _el(
            entry,
            "summary",
            f"Figure {update.figure_id} ({update.course}, {update.period}) {update.kind}: "
            f"completions {_count(update.completions_before)} → "
            f"{_count(update.completions_after)}; source {update.source_id}; data version "
            f"{update.version}.",
        )
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written
