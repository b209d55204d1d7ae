"""Figure ids are never reused (SQLite AUTOINCREMENT).

SQLite hands out max(id) + 1, so deleting the newest figure let the next one
take its id, and with it the deleted figure's revisions. PostgreSQL sequences
never go back; SQLite needs AUTOINCREMENT, and its counter starts above every id
the revisions have seen.

Revision ID: 2026_11_28_figure_ids
Revises: 2026_11_28_data_version
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_28_figure_ids"
down_revision: str | None = "2026_11_28_data_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(autoincrement: bool) -> None:
    with op.batch_alter_table(
        "figures", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    """Rebuild figures with AUTOINCREMENT and move its counter past every id ever used."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(True)
    used = "(SELECT coalesce(max(figure_id), 0) FROM figure_revisions)"
    op.execute(f"UPDATE sqlite_sequence SET seq = max(seq, {used}) WHERE name = 'figures'")
    op.execute(
        f"INSERT INTO sqlite_sequence (name, seq) SELECT 'figures', {used} "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'figures')"
    )


def downgrade() -> None:
    """Rebuild figures without AUTOINCREMENT."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(False)
