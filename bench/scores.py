"""Scores through the API against the same numbers from one GROUP BY over the responses."""

import time
import uuid
from collections import defaultdict
from datetime import datetime

import asyncpg
import httpx

RAW = """
SELECT segment, touchpoint,
       date_trunc($5, submitted_at AT TIME ZONE $6)::date AS bucket,
       score, count(*)
FROM responses
WHERE project_id = $1 AND survey_id = ANY($2::uuid[]) AND deleted_at IS NULL
  AND submitted_at >= $3 AND submitted_at < $4
GROUP BY 1, 2, 3, 4
"""

Table = dict[tuple[str | None, str | None, str], dict[int, int]]


async def raw(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    survey_ids: list[uuid.UUID],
    start: datetime,
    end: datetime,
    interval: str,
    tz: str,
) -> tuple[float, Table]:
    began = time.perf_counter()
    rows = await conn.fetch(RAW, project_id, survey_ids, start, end, interval, tz)
    elapsed = time.perf_counter() - began
    table: Table = defaultdict(dict)
    for segment, touchpoint, bucket, score, count in rows:
        table[(segment, touchpoint, bucket.isoformat())][score] = count
    return elapsed, dict(table)


async def api(
    client: httpx.AsyncClient,
    key: str,
    survey_ids: list[uuid.UUID],
    start: datetime,
    end: datetime,
    interval: str,
    tz: str,
) -> tuple[float, Table]:
    params = {
        "survey_id": [str(s) for s in survey_ids],
        "group_by": "segment,touchpoint",
        "interval": interval,
        "tz": tz,
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    began = time.perf_counter()
    r = await client.get(
        "/v1/scores", params=params, headers={"Authorization": f"Bearer {key}"}, timeout=120
    )
    elapsed = time.perf_counter() - began
    r.raise_for_status()
    table: Table = {}
    for row in r.json()["rows"]:
        if row["n"]:
            counts = {int(k): v for k, v in row["distribution"].items() if v}
            group = row["group"]
            table[(group["segment"], group["touchpoint"], row["bucket"])] = counts
    return elapsed, table


def differences(api_table: Table, raw_table: Table) -> list[str]:
    """What differs between the two answers (empty when they are the same)."""
    out = []
    for key in sorted(set(api_table) | set(raw_table), key=str):
        if api_table.get(key) != raw_table.get(key):
            out.append(f"{key}: API {api_table.get(key)} vs SQL {raw_table.get(key)}")
    return out
