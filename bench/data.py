"""Synthetic history, generated inside PostgreSQL (one INSERT … SELECT generate_series per
chunk): millions of answers in minutes, never through the API.

A year of answers to several NPS surveys, in time order (so that the time-ordered primary
key and indexes grow at their ends, as in production), from 12 segments, 8 touchpoints,
three channels and four locales, with a realistic NPS mix (about 45% promoters, 30%
passives, 25% detractors) and 1% deleted. The rollup triggers run as in production.
"""

import uuid
from datetime import datetime

import asyncpg

SEGMENTS = [
    "smb", "mid_market", "enterprise", "public_sector", "startup", "education",
    "health", "retail", "finance", "media", "travel", "other",
]  # fmt: skip
TOUCHPOINTS = [
    "checkout", "support_chat", "onboarding", "delivery", "billing", "returns", "mobile_app",
    "website",
]  # fmt: skip
# Cumulative NPS mix over scores 0..10: promoters 45%, passives 30%, detractors 25%.
SCORE_WEIGHTS = [2, 1, 1, 2, 2, 4, 13, 12, 18, 20, 25]
CHUNK = 500_000

INSERT = """
INSERT INTO responses (id, project_id, survey_id, score, comment, customer_id, segment,
                       touchpoint, channel, locale, submitted_at, created_at, updated_at,
                       deleted_at)
SELECT
    -- a version-7 UUID: the millisecond time, then the row number as the "random" bits
    (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
        || lpad(to_hex(i % 4096), 3, '0') || '8' || lpad(to_hex(i), 15, '0'))::uuid,
    $1,
    ($2::uuid[])[1 + (g % cardinality($2::uuid[]))],
    CASE WHEN deleted THEN NULL ELSE (
        SELECT count(*) FILTER (WHERE w <= (h / 7 % 100)) FROM unnest($3::int[]) AS w
    ) END,
    NULL,
    CASE WHEN deleted THEN NULL ELSE 'customer-' || (g / 7 % 200000) END,
    CASE WHEN deleted THEN NULL ELSE ($4::text[])[1 + (h / 1000 % cardinality($4::text[]))] END,
    CASE WHEN deleted THEN NULL ELSE ($5::text[])[1 + (g / 1000 % cardinality($5::text[]))] END,
    (ARRAY['email', 'email', 'email', 'web', 'web', 'in_app'])[1 + (h / 100000 % 6)],
    CASE WHEN deleted THEN NULL
         ELSE (ARRAY['en', 'en', 'de', 'fr', 'es'])[1 + (g / 100000 % 5)] END,
    t, t, t,
    CASE WHEN deleted THEN t END
FROM (
    SELECT i, t, h, g, (g / 3 % 100) = 0 AS deleted
    FROM (
        SELECT i,
               $6::timestamptz + (i * $7::double precision) * interval '1 second' AS t,
               abs(hashint8(i)::bigint) AS h, abs(hashint8(-1 - i)::bigint) AS g
        FROM generate_series($8::bigint, $9::bigint - 1) AS i
    ) AS numbered
) AS rows
"""


def cumulative(weights: list[int]) -> list[int]:
    """Score s is chosen when a uniform 0..99 number is below the first s+1 weights' sum:
    the answer is how many cumulative thresholds the number reaches."""
    total, out = 0, []
    for weight in weights[:-1]:
        total += weight
        out.append(total)
    return out


async def generate(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    survey_ids: list[uuid.UUID],
    rows: int,
    start: datetime,
    end: datetime,
    progress=print,
) -> None:
    """`rows` answers spread evenly over [start, end), in chunks, each its own transaction."""
    step = (end - start).total_seconds() / rows
    thresholds = cumulative(SCORE_WEIGHTS)
    assert sum(SCORE_WEIGHTS) == 100
    for first in range(0, rows, CHUNK):
        last = min(rows, first + CHUNK)
        await conn.execute(
            INSERT,
            project_id,
            survey_ids,
            thresholds,
            SEGMENTS,
            TOUCHPOINTS,
            start,
            step,
            first,
            last,
        )
        progress(f"  generated {last:,} of {rows:,} answers")
