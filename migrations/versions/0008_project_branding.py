"""Project branding on respondent pages: display name, logo and accent colour.

Revision ID: 0008
Revises: 0007

Nullable columns on `projects` (no rebuild of any table, on either database): a project
without them shows the pages as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("display_name", 200),
    ("website", 2000),
    ("logo_url", 2000),
    ("accent_color", 7),
)


def upgrade() -> None:
    for name, length in COLUMNS:
        op.add_column("projects", sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    for name, _length in reversed(COLUMNS):
        op.drop_column("projects", name)
