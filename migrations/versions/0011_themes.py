"""Comment themes and the tags of each response.

Revision ID: 0011
Revises: 0010

New tables only: `responses` is not altered (on SQLite a batch rebuild of it would drop
its rollup triggers, see 0006).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = app.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "themes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("phrases", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("phrases_changed_at", UTC, nullable=False),
        sa.Column("tagging_pending", sa.Boolean(), nullable=False),
        sa.Column("tagging_done", sa.Integer(), nullable=False),
        sa.Column("tagging_total", sa.Integer(), nullable=False),
        sa.Column("tagging_after_at", UTC, nullable=True),
        sa.Column("tagging_after_id", sa.Uuid(), nullable=True),
        sa.Column("tagging_final_pass", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_themes_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_themes")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_themes_project_id_name")),
    )
    op.create_index("ix_themes_tagging_pending", "themes", ["tagging_pending"], unique=False)
    op.create_table(
        "response_themes",
        sa.Column("response_id", sa.Uuid(), nullable=False),
        sa.Column("theme_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_response_themes_response_id_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_response_themes_theme_id_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "theme_id", name=op.f("pk_response_themes")),
    )
    op.create_index(
        "ix_response_themes_theme_id_response_id",
        "response_themes",
        ["theme_id", "response_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_response_themes_theme_id_response_id", table_name="response_themes")
    op.drop_table("response_themes")
    op.drop_index("ix_themes_tagging_pending", table_name="themes")
    op.drop_table("themes")
