"""Invitations, their link opens, unsubscribes; responses link to their invitation.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_TIME = app.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("touchpoint", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("attributes", JSON, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("expires_at", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("erased_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_invitations_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_invitations_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invitations_project_customer",
            ["project_id", "customer_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_invitations_project_survey", ["project_id", "survey_id", "id"], unique=False
        )

    op.create_table(
        "invitation_opens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("opened_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_invitation_opens_invitation_id_invitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_opens")),
    )
    with op.batch_alter_table("invitation_opens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitation_opens_invitation_id"), ["invitation_id"], unique=False
        )

    op.create_table(
        "unsubscribes",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_unsubscribes_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("project_id", "customer_id", name=op.f("pk_unsubscribes")),
    )

    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invitation_id", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_responses_invitation_id"), ["invitation_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_invitation_id_invitations"),
            "invitations",
            ["invitation_id"],
            ["id"],
        )

    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invitation_throttle_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("invitation_throttle_days")

    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_responses_invitation_id_invitations"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_responses_invitation_id"), type_="unique")
        batch_op.drop_column("invitation_id")

    op.drop_table("unsubscribes")
    with op.batch_alter_table("invitation_opens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_opens_invitation_id"))
    op.drop_table("invitation_opens")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_project_survey")
        batch_op.drop_index("ix_invitations_project_customer")
    op.drop_table("invitations")
