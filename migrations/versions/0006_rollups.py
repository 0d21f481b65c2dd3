"""Score rollups: the distribution of answers per UTC day and week, kept by triggers.

Revision ID: 0006
Revises: 0005

Triggers, not application code, maintain the rollup, so that every write path (the API,
invitation answers, erasures, imports, a hand-written UPDATE) is covered in the same
transaction. On PostgreSQL they are statement-level with transition tables, so a bulk
write updates each rollup row once, in key order; SQLite has row-level triggers only.

On SQLite, a batch migration that rebuilds `responses` drops its triggers: such migrations
must come before this one, or re-create the triggers.
"""

# ruff: noqa: S608 - the SQL below is built from constants only

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "project_id, survey_id, grain, period, segment, touchpoint"
COUNTS = [f"n{score}" for score in range(11)]
ADD_EXCLUDED = ", ".join(f"{c} = r.{c} + excluded.{c}" for c in COUNTS)

# A day is counted in days since 1970-01-01 UTC; a week by its Monday (1970-01-01 was a
# Thursday, hence the + 3).
PG_DAY = "floor(extract(epoch FROM submitted_at) / 86400)::integer"
PG_COUNTED = f"""
    SELECT project_id, survey_id, g.grain,
           d.day - CASE WHEN g.grain = 7 THEN (d.day + 3) % 7 ELSE 0 END AS period,
           coalesce(segment, '') AS segment, coalesce(touchpoint, '') AS touchpoint, score
    FROM {{rows}} CROSS JOIN LATERAL (SELECT {PG_DAY} AS day) AS d
    CROSS JOIN (VALUES (1::smallint), (7::smallint)) AS g(grain)
    WHERE deleted_at IS NULL AND score IS NOT NULL
"""
PG_SUMS = ", ".join(f"coalesce(sum(delta) FILTER (WHERE score = {i}), 0)" for i in range(11))
# An update that moves no answer (a new comment) changes no rollup row, nor locks one.
PG_CHANGED = " OR ".join(f"sum(delta) FILTER (WHERE score = {i}) <> 0" for i in range(11))
PG_UPSERT = f"""
    INSERT INTO score_rollups AS r ({KEY}, {", ".join(COUNTS)})
    SELECT {KEY}, {PG_SUMS} FROM ({{deltas}}) AS changes
    GROUP BY {KEY} HAVING {PG_CHANGED} ORDER BY {KEY}
    ON CONFLICT ({KEY}) DO UPDATE SET {ADD_EXCLUDED}
"""
PG_PLUS = "SELECT *, 1 AS delta FROM ({}) AS plus".format(PG_COUNTED.format(rows="new_rows"))
PG_MINUS = "SELECT *, -1 AS delta FROM ({}) AS minus".format(PG_COUNTED.format(rows="old_rows"))
PG_FUNCTION = f"""
CREATE FUNCTION score_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {PG_UPSERT.format(deltas=PG_PLUS)};
    ELSIF TG_OP = 'DELETE' THEN
        {PG_UPSERT.format(deltas=PG_MINUS)};
    ELSE
        {PG_UPSERT.format(deltas=PG_MINUS + " UNION ALL " + PG_PLUS)};
    END IF;
    RETURN NULL;
END
$$
"""
PG_TRIGGERS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}

SQLITE_DAY = "CAST(strftime('%s', {row}.submitted_at) AS INTEGER) / 86400"
SQLITE_COUNTED = "{row}.deleted_at IS NULL AND {row}.score IS NOT NULL"
SQLITE_CHANGED = (
    "OLD.project_id IS NOT NEW.project_id OR OLD.survey_id IS NOT NEW.survey_id "
    "OR OLD.score IS NOT NEW.score OR OLD.segment IS NOT NEW.segment "
    "OR OLD.touchpoint IS NOT NEW.touchpoint OR OLD.submitted_at IS NOT NEW.submitted_at "
    "OR (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL)"
)


def _sqlite_counts(row: str, delta: str) -> str:
    return ", ".join(f"CASE WHEN {row}.score = {i} THEN {delta} ELSE 0 END" for i in range(11))


def _sqlite_add(row: str, delta: int) -> str:
    day = SQLITE_DAY.format(row=row)
    values = ", ".join(
        f"({row}.project_id, {row}.survey_id, {grain}, {period}, coalesce({row}.segment, ''), "
        f"coalesce({row}.touchpoint, ''), {_sqlite_counts(row, str(delta))})"
        for grain, period in ((1, day), (7, f"{day} - ({day} + 3) % 7"))
    )
    return (
        f"INSERT INTO score_rollups ({KEY}, {', '.join(COUNTS)}) SELECT * FROM (VALUES {values}) "
        f"WHERE {SQLITE_COUNTED.format(row=row)} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET {ADD_EXCLUDED.replace('r.', '')};"
    )


SQLITE_TRIGGERS = {
    "score_rollups_insert": f"AFTER INSERT ON responses BEGIN {_sqlite_add('NEW', 1)} END",
    "score_rollups_update": (
        f"AFTER UPDATE ON responses WHEN {SQLITE_CHANGED} "
        f"BEGIN {_sqlite_add('OLD', -1)} {_sqlite_add('NEW', 1)} END"
    ),
    "score_rollups_delete": f"AFTER DELETE ON responses BEGIN {_sqlite_add('OLD', -1)} END",
}


def upgrade() -> None:
    op.create_table(
        "score_rollups",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        *(sa.Column(c, sa.BigInteger(), nullable=False) for c in COUNTS),
        sa.PrimaryKeyConstraint(*KEY.split(", "), name=op.f("pk_score_rollups")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for event, referencing in PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER score_rollups_{event.lower()} AFTER {event} ON responses "
                f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION score_rollups_apply()"
            )
        _backfill_postgresql()
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        day = SQLITE_DAY.format(row="responses")
        op.execute(
            f"INSERT INTO score_rollups ({KEY}, {', '.join(COUNTS)}) "
            f"SELECT {KEY}, {', '.join(f'sum({c})' for c in COUNTS)} FROM ("
            + " UNION ALL ".join(
                f"SELECT project_id, survey_id, {grain} AS grain, {period} AS period, "
                "coalesce(segment, '') AS segment, coalesce(touchpoint, '') AS touchpoint, "
                + ", ".join(f"CASE WHEN score = {i} THEN 1 ELSE 0 END AS n{i}" for i in range(11))
                + f" FROM responses WHERE {SQLITE_COUNTED.format(row='responses')}"
                for grain, period in ((1, day), (7, f"{day} - ({day} + 3) % 7"))
            )
            + f") GROUP BY {KEY}"
        )


def _backfill_postgresql() -> None:
    """Count the existing answers per survey and month: many short statements, each within
    the service's statement timeout, each using the (survey_id, submitted_at) index."""
    bind = op.get_bind()
    spans = bind.execute(
        sa.text(
            "SELECT survey_id, min(submitted_at), max(submitted_at) FROM responses "
            "GROUP BY survey_id"
        )
    ).all()
    chunk = (
        "(SELECT * FROM responses WHERE survey_id = :survey "
        "AND submitted_at >= :start AND submitted_at < :end) AS chunk"
    )
    upsert = sa.text(PG_UPSERT.format(deltas=PG_PLUS.replace("new_rows", chunk)))
    for survey_id, first, last in spans:
        start = first
        while start <= last:
            end = start + timedelta(days=31)
            bind.execute(upsert, {"survey": survey_id, "start": start, "end": end})
            start = end


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER score_rollups_{event.lower()} ON responses")
        op.execute("DROP FUNCTION score_rollups_apply()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("score_rollups")
