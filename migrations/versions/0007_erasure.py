"""Erasure: what an erasure needs to find every stored copy of a customer's data.

Webhook events name the customer they are about (`webhook_events.customer_id`), and stored
Idempotency-Key replies list the customers they show (`idempotency_customers`), so that an
erasure scrubs them with an index look-up instead of reading every stored body. Rows
stored before this revision are indexed from their JSON here, and the tombstones made
before it lose their channel (a tombstone keeps ids and times only).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT_SUBJECT = {
    "postgresql": "COALESCE(payload #>> '{data,response,customer_id}',"
    " payload #>> '{data,invitation,customer_id}', payload #>> '{data,unsubscribe,customer_id}')",
    "sqlite": "COALESCE(json_extract(payload, '$.data.response.customer_id'),"
    " json_extract(payload, '$.data.invitation.customer_id'),"
    " json_extract(payload, '$.data.unsubscribe.customer_id'))",
}

_REPLY_CUSTOMERS = {
    "postgresql": """
        INSERT INTO idempotency_customers (customer_id, record_id)
        SELECT body ->> 'customer_id', id FROM idempotency_keys
        WHERE jsonb_typeof(body) = 'object' AND jsonb_typeof(body -> 'customer_id') = 'string'
        UNION
        SELECT item ->> 'customer_id', k.id
        FROM idempotency_keys k
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(k.body -> 'data') = 'array' THEN k.body -> 'data'
                 ELSE '[]'::jsonb END) AS item
        WHERE jsonb_typeof(item -> 'customer_id') = 'string'
    """,
    "sqlite": """
        INSERT INTO idempotency_customers (customer_id, record_id)
        SELECT json_extract(body, '$.customer_id'), id FROM idempotency_keys
        WHERE json_type(body, '$.customer_id') = 'text'
        UNION
        SELECT customer_id, record_id FROM (
            SELECT CASE WHEN item.type = 'object'
                        AND json_type(item.value, '$.customer_id') = 'text'
                   THEN json_extract(item.value, '$.customer_id') END AS customer_id,
                   k.id AS record_id
            FROM idempotency_keys k, json_each(
                CASE WHEN json_type(k.body, '$.data') = 'array' THEN k.body ELSE '{"data": []}'
                END, '$.data') AS item
        ) WHERE customer_id IS NOT NULL
    """,
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("webhook_events", sa.Column("customer_id", sa.String(length=200), nullable=True))
    op.create_index(
        "ix_webhook_events_project_customer",
        "webhook_events",
        ["project_id", "customer_id"],
        unique=False,
    )
    op.execute(f"UPDATE webhook_events SET customer_id = {_EVENT_SUBJECT[dialect]}")  # noqa: S608

    op.create_table(
        "idempotency_customers",
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["idempotency_keys.id"],
            name=op.f("fk_idempotency_customers_record_id_idempotency_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "record_id", name=op.f("pk_idempotency_customers")),
    )
    op.create_index(
        op.f("ix_idempotency_customers_record_id"),
        "idempotency_customers",
        ["record_id"],
        unique=False,
    )
    op.execute(_REPLY_CUSTOMERS[dialect])
    # Tombstones keep ids and times only; older ones still had their channel.
    op.execute(
        "UPDATE responses SET channel = NULL WHERE deleted_at IS NOT NULL AND channel IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_customers_record_id"), table_name="idempotency_customers")
    op.drop_table("idempotency_customers")
    op.drop_index("ix_webhook_events_project_customer", table_name="webhook_events")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("customer_id")
