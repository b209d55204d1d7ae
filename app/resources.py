"""Files shipped beside the code: Alembic migrations and the seed data."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """`migrations` or `seed_data`: bundled in a wheel, or at the top of a source checkout."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name}/ is neither bundled with the package nor beside it")
