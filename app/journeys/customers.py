"""Customers: the list with each one's latest relationship score, last touchpoint and
churn, and one customer's journey (answers, invitations, outcomes) in time order. An
erased customer has no answers, invitations or outcomes left, so is in neither."""

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput, NotFound
from app.invitations import service as invitations
from app.journeys import customer_repository as repository
from app.journeys import params
from app.outcomes import service as outcomes
from app.pagination import InvalidCursor
from app.responses import service as responses
from app.scores import stats
from app.surveys import service as surveys

# Events at the same instant: what was sent comes before what was answered, then outcomes.
_ORDER = {"invitation": 0, "answer": 1, "outcome": 2, "unsubscribe": 3}


class CustomerNotFound(NotFound):
    slug = "customer-not-found"
    title = "Customer not found"

    def __init__(self, customer_id: str) -> None:
        super().__init__(
            f"There is no customer {customer_id!r} in this project (no answers, "
            "invitations or outcomes)."
        )


def _encode(customer_id: str) -> str:
    return base64.urlsafe_b64encode(customer_id.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        padded = (cursor + "=" * (-len(cursor) % 4)).encode("ascii")
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        if not text or "\x00" in text:
            raise ValueError("NUL in cursor")
        return text
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidCursor(
            "The cursor is not one this API returned; start again without a cursor."
        ) from None


def _category(kind: str, low: int, high: int, score: int) -> str:
    return next(name for name, lo, hi in stats.categories(kind, low, high) if lo <= score <= hi)


async def list_customers(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    relationship_survey_ids: list[uuid.UUID] | None = None,
    categories: list[str] | None = None,
    churned: bool | None = None,
    last_touchpoint: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """A page of the project's customers (anyone with a live answer or an outcome),
    ordered by customer id.

    The relationship score is the latest answer to `relationship_survey_ids` (one kind and
    scale; default: every NPS survey of the project). Filters: `categories` of that
    answer (promoter, passive, detractor; good, not_good), `churned` (has a `churned`
    outcome), `last_touchpoint` (of the latest answer that had one).

    Returns `{"data": [...], "next_cursor", "has_more"}`, each customer `{"customer_id",
    "answers", "last_answered_at", "last_touchpoint", "last_touchpoint_at",
    "relationship": {"survey_id", "score", "category", "answered_at"} | None, "churned",
    "churned_at"}` (`churned_at`: the latest churn)."""
    if relationship_survey_ids:
        found = await surveys.get_many(session, project_id, relationship_survey_ids)
    else:
        found = [s for s in await surveys.all_of_project(session, project_id) if s.kind == "nps"]
    kind, low, high = params.one_scale(found, "relationship_survey_id") if found else ("nps", 0, 10)
    bands = stats.categories(kind, low, high)
    names = [name for name, _lo, _hi in bands]
    unknown = [c for c in categories or [] if c not in names]
    if unknown:
        raise InvalidInput(
            f"category must be one of {', '.join(names)} for {kind.upper()} {low}-{high}.",
            errors=[{"parameter": "category", "in": "query", "detail": f"unknown: {unknown[0]}"}],
        )
    rows = await repository.customer_page(
        session,
        repository.CustomerQuery(
            project_id=project_id,
            relationship_ids=[s.id for s in found],
            bands=bands,
            categories=categories,
            churned=churned,
            last_touchpoint=last_touchpoint,
            after=_decode(cursor) if cursor else None,
            limit=limit + 1,
        ),
    )
    page = rows[:limit]
    data = []
    for row in page:
        (customer_id, answers, last_at, touchpoint, touched_at) = row[:5]
        (survey_id, score, category, related_at, churned_at) = row[5:]
        relationship = None
        if survey_id is not None:
            relationship = {
                "survey_id": survey_id,
                "score": score,
                "category": category,
                "answered_at": related_at,
            }
        data.append(
            {
                "customer_id": customer_id,
                "answers": answers,
                "last_answered_at": last_at,
                "last_touchpoint": touchpoint,
                "last_touchpoint_at": touched_at,
                "relationship": relationship,
                "churned": churned_at is not None,
                "churned_at": churned_at,
            }
        )
    return {
        "data": data,
        "next_cursor": _encode(page[-1][0]) if page else None,
        "has_more": len(rows) > limit,
    }


def _answer_event(response: Any, survey: Any) -> dict[str, Any]:
    return {
        "type": "answer",
        "at": response.submitted_at,
        "response_id": response.id,
        "survey_id": survey.id,
        "survey_name": survey.name,
        "kind": survey.kind,
        "scale_min": survey.scale_min,
        "scale_max": survey.scale_max,
        "score": response.score,
        "category": _category(survey.kind, survey.scale_min, survey.scale_max, response.score),
        "touchpoint": response.touchpoint,
        "channel": response.channel,
        "segment": response.segment,
        "comment": response.comment,
    }


def _invitation_event(invitation: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "invitation",
        "at": invitation["created_at"],
        "invitation_id": invitation["id"],
        "survey_id": invitation["survey_id"],
        "status": invitation["status"],
        "sent": invitation["status"] == "created",
        "touchpoint": invitation["touchpoint"],
        "channel": invitation["channel"],
        "opened_at": invitation["opened_at"],
        "opens": invitation["opens"],
        "answered_at": invitation["answered_at"],
        "response_id": invitation["response_id"],
    }


def _outcome_event(outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "outcome",
        "at": outcome["occurred_at"],
        "outcome_id": outcome["id"],
        "outcome": outcome["type"],
        "value": None if outcome["value"] is None else f"{outcome['value']:.2f}",
        "attributes": outcome["attributes"],
    }


async def customer_journey(session: AsyncSession, project_id: uuid.UUID, customer_id: str) -> dict:
    """One customer's journey: `{"customer_id", "events": [...]}`, events in time order
    (`at`), each with a `type`: `answer` (survey, kind, scale, score, category,
    touchpoint, channel, segment, comment), `invitation` (status, sent, opened_at, opens,
    answered_at, response_id; never its links), `outcome` (`outcome` is its type, value
    as a decimal string, attributes) or `unsubscribe` (source). Raises CustomerNotFound
    when the customer has none of these (an erased customer has none)."""
    events: list[dict[str, Any]] = []
    for response, survey in await responses.customer_answers(session, project_id, customer_id):
        events.append(_answer_event(response, survey))
    invited = await invitations.of_customer(session, project_id, customer_id)
    events += [_invitation_event(i) for i in invited["invitations"]]
    events += [
        _outcome_event(o) for o in await outcomes.of_customer(session, project_id, customer_id)
    ]
    if invited["unsubscribe"] is not None:
        entry = invited["unsubscribe"]
        events.append({"type": "unsubscribe", "at": entry["created_at"], "source": entry["source"]})
    if not events:
        raise CustomerNotFound(customer_id)
    events.sort(key=_when)
    return {"customer_id": customer_id, "events": events}


def _when(event: dict[str, Any]) -> tuple[datetime, int]:
    return event["at"], _ORDER[event["type"]]
