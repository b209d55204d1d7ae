"""Deterministic synthetic figures obeying R1–R5, for benchmarks.

Each course-year holds a whole-year figure, two halves, four quarters and twelve
months (19 laminar periods), parts never exceeding their whole. The default
2,000 courses × 27 years gives 1,026,000 figures.

    python -m bench.generate --csv figures.csv          # for `enrollment-stats import`
    python -m bench.generate --sqlite bench.db          # migrated database, filled directly
"""

import argparse
import csv
import random
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from app.db import migrate
from app.db.session import make_engine, make_sessionmaker, transaction
from app.services import totals

FIRST_YEAR = 1998
SOURCE = ("Synthetic benchmark data", "enrollment-stats bench", "2025-01-01")
YEAR_HALVES = [(1, 12), (1, 6), (7, 12)]
QUARTERS = [(q * 3 + 1, q * 3 + 3) for q in range(4)]
PERIODS = YEAR_HALVES + QUARTERS + [(m, m) for m in range(1, 13)]


def slug(i: int) -> str:
    return f"course-{i:05d}"


def figures(courses: int, years: int, seed: int = 2019) -> Iterator[tuple[str, int, int, int, int]]:
    """(course slug, year, start_month, end_month, completions), deterministically."""
    rng = random.Random(seed)
    for c in range(courses):
        for y in range(FIRST_YEAR, FIRST_YEAR + years):
            months = [rng.randint(0, 100) for _ in range(12)]
            quarters = [sum(months[q * 3 : q * 3 + 3]) + rng.randint(0, 5) for q in range(4)]
            halves = [quarters[0] + quarters[1] + rng.randint(0, 5), quarters[2] + quarters[3]]
            whole = sum(halves) + rng.randint(0, 5)
            values = [whole, *halves, *quarters, *months]
            for (start, end), value in zip(PERIODS, values, strict=True):
                yield slug(c), y, start, end, value


def write_csv(path: Path, courses: int, years: int) -> int:
    """Figures as import CSV (courses must exist); returns the row count."""
    n = 0
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["course", "period", "completions", "source_id"])
        for course, year, start, end, value in figures(courses, years):
            out.writerow([course, f"{year}-{start:02d}/{year}-{end:02d}", value, 1])
            n += 1
    return n


def prepare(path: Path, courses: int) -> None:
    """A migrated SQLite database holding the courses and source 1, which figures name."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO courses (slug, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [(slug(i), f"Course {i}", now, now) for i in range(courses)],
        )
        db.execute(
            "INSERT INTO sources (id, title, publisher, published_on, created_at) "
            "VALUES (1, ?, ?, ?, ?)",
            (*SOURCE, now),
        )
    db.close()


def write_sqlite(path: Path, courses: int, years: int) -> int:
    """A database with the figures written straight in, for read benchmarks.

    Faster than an import, and the course-year totals are refreshed the way writes
    do; each figure is at its first vintage (kept in `figures`, as writes keep it).
    """
    prepare(path, courses)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    db = sqlite3.connect(path)
    with db:
        ids = dict(db.execute("SELECT slug, id FROM courses"))
        db.executemany(
            "INSERT INTO figures (course_id, year, start_month, end_month, completions, status,"
            " source_id, revision, recorded_at) VALUES (?, ?, ?, ?, ?, 'final', 1, 1, ?)",
            ((ids[c], y, s, e, v, now) for c, y, s, e, v in figures(courses, years)),
        )
    n = db.execute("SELECT count(*) FROM figures").fetchone()[0]
    keys = db.execute("SELECT DISTINCT course_id, year FROM figures").fetchall()
    db.close()
    engine = make_engine(f"sqlite:///{path}")
    with transaction(make_sessionmaker(engine)) as session:
        totals.refresh(session, [(c, y) for c, y in keys])
    engine.dispose()
    return int(n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=2000)
    parser.add_argument("--years", type=int, default=27)
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--sqlite", type=Path)
    args = parser.parse_args(argv)
    if args.csv:
        print(f"{write_csv(args.csv, args.courses, args.years)} figures -> {args.csv}")
    if args.sqlite:
        print(f"{write_sqlite(args.sqlite, args.courses, args.years)} figures -> {args.sqlite}")
    if not (args.csv or args.sqlite):
        sys.exit("give --csv FILE and/or --sqlite FILE")


if __name__ == "__main__":
    main()
