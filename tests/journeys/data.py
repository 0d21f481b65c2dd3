"""Building customer histories through the API: answers with past times, outcomes."""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
"""A Monday in the past: every answer and outcome of these tests is dated from it."""


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def at(days: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(days=days, seconds=seconds)


async def answer(api, survey_id: str, customer: str | None, score: int, when: datetime, **extra):
    fields: dict[str, Any] = {"submitted_at": iso(when), **extra}
    if customer is not None:
        fields["customer_id"] = customer
    return await api.answer(survey_id, score, **fields)


async def outcomes(api, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Record outcomes, `occurred_at` given as datetimes, in batches of 1,000."""
    stored = []
    for first in range(0, len(items), 1000):
        batch = [
            {**item, "occurred_at": iso(item["occurred_at"])}
            for item in items[first : first + 1000]
        ]
        r = await api.post("/v1/outcomes", json={"outcomes": batch})
        assert r.status_code == 201, r.text
        stored += r.json()["data"]
    return stored


def churned(customer: str, when: datetime) -> dict[str, Any]:
    return {"customer_id": customer, "type": "churned", "occurred_at": when}


def purchase(customer: str, when: datetime, value: str) -> dict[str, Any]:
    return {"customer_id": customer, "type": "purchase", "occurred_at": when, "value": value}


def csv_rows(text: str) -> list[dict[str, str]]:
    """A CSV answer as one dict per line, read as a spreadsheet would."""
    return list(csv.DictReader(io.StringIO(text)))
