"""PostgreSQL tells listeners of every new data version (NOTIFY in the writing
transaction, delivered at its commit), so workers need not ask per request. A trigger,
not the application, sends it: a write from any process, psql included, is heard.

Revision ID: 2026_11_29_data_version_notify
Revises: 2026_11_29_idempotent_etag
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_29_data_version_notify"
down_revision: str | None = "2026_11_29_idempotent_etag"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION data_version_notify() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('data_version', NEW.version::text);
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER data_version_notify AFTER UPDATE ON data_version "
        "FOR EACH ROW EXECUTE FUNCTION data_version_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER data_version_notify ON data_version")
    op.execute("DROP FUNCTION data_version_notify()")
