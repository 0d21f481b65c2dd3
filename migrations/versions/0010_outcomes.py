"""Customer outcomes and journey stages; responses indexed by customer and time.

Revision ID: 0010
Revises: 0009

An amount is stored as a whole number of cents (`value_cents`): exact on both databases,
sums included (SQLite has no decimal type; its NUMERIC columns hold binary floats).

The responses index holds each customer's live answers to a survey in time order, so that
the reports find every customer's latest answer without sorting the answers; on PostgreSQL
it also carries the score and the dimensions the reports group by (segment, touchpoint,
channel, locale), so that they read the index only. It is created with `op.create_index`,
never in a batch alter: on SQLite a batch alter rebuilds the table and drops its rollup
triggers (see 0006).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_WITH_CUSTOMER = "deleted_at IS NULL AND score IS NOT NULL AND customer_id IS NOT NULL"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_TIME = app.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", UTC_TIME, nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=True),
        sa.Column("attributes", JSON, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_outcomes_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index(
        "ix_outcomes_project_customer",
        "outcomes",
        ["project_id", "customer_id", "type", "occurred_at"],
    )
    op.create_index("ix_outcomes_project_occurred", "outcomes", ["project_id", "occurred_at", "id"])
    op.create_table(
        "journey_stages",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_journey_stages_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("project_id", "position", name=op.f("pk_journey_stages")),
    )
    op.create_index(
        "ix_responses_customer_latest",
        "responses",
        ["project_id", "survey_id", "customer_id", "submitted_at", "id"],
        postgresql_include=["score", "touchpoint", "segment", "channel", "locale"],
        postgresql_where=sa.text(LIVE_WITH_CUSTOMER),
        sqlite_where=sa.text(LIVE_WITH_CUSTOMER),
    )


def downgrade() -> None:
    op.drop_index("ix_responses_customer_latest", table_name="responses")
    op.drop_table("journey_stages")
    op.drop_index("ix_outcomes_project_occurred", table_name="outcomes")
    op.drop_index("ix_outcomes_project_customer", table_name="outcomes")
    op.drop_table("outcomes")
