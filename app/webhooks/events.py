"""Event types, the versioned payload every delivery carries, and endpoint filters."""

from datetime import datetime
from typing import Any

from app.invitations.schemas import InvitationOut, UnsubscribeOut
from app.models import Response, Survey, Unsubscribe
from app.responses.schemas import ResponseOut
from app.surveys.schemas import SurveyOut

PAYLOAD_VERSION = 1

EVENT_TYPES = (
    "response.created",
    "response.updated",
    "response.deleted",
    "invitation.created",
    "unsubscribe.created",
    "outcome.created",
)

Facets = dict[str, Any]
"""What filters look at: survey_id, kind, segment, touchpoint, score."""


def envelope(event_id: str, event_type: str, when: datetime, data: dict[str, Any]) -> dict:
    return {
        "id": event_id,
        "type": event_type,
        "version": PAYLOAD_VERSION,
        "timestamp": when.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def response_data(response: Response, survey: Survey) -> dict[str, Any]:
    out = ResponseOut.model_validate(
        {
            **{
                field: getattr(response, field)
                for field in ResponseOut.model_fields
                if field not in ("deleted", "themes")  # events carry no theme tags
            },
            "deleted": response.deleted_at is not None,
        }
    )
    return {
        "response": out.model_dump(mode="json", exclude={"themes"}),
        "survey": SurveyOut.model_validate(survey).model_dump(mode="json"),
    }


def invitation_data(invitation: dict[str, Any], survey: Survey) -> dict[str, Any]:
    return {
        "invitation": InvitationOut.model_validate(invitation).model_dump(mode="json"),
        "survey": SurveyOut.model_validate(survey).model_dump(mode="json"),
    }


def unsubscribe_data(entry: Unsubscribe) -> dict[str, Any]:
    return {"unsubscribe": UnsubscribeOut.model_validate(entry).model_dump(mode="json")}


def response_facets(response: Response, survey: Survey) -> Facets:
    return {
        "survey_id": str(survey.id),
        "kind": survey.kind,
        "segment": response.segment,
        "touchpoint": response.touchpoint,
        "score": response.score,
    }


def facets_of(data: dict[str, Any]) -> Facets:
    """Filter facets read from a payload: its top level, then its `survey`, then the first
    of `response` / `invitation` / `unsubscribe` that is present."""
    facets: Facets = {}
    sources = [data, data.get("survey") or {}]
    sources += [data[key] for key in ("response", "invitation", "unsubscribe") if key in data]
    for source in sources:
        if not isinstance(source, dict):
            continue
        for key in ("survey_id", "kind", "segment", "touchpoint", "score"):
            if facets.get(key) is None and source.get(key) is not None:
                facets[key] = source[key]
        if source is data.get("survey") and facets.get("survey_id") is None:
            facets["survey_id"] = source.get("id")
    return facets


def matches(filters: dict[str, Any], facets: Facets) -> bool:
    """Every filter that is set must match. An event without a score never matches a score
    range, so "detractors only" receives no invitation events."""
    for key, facet in (
        ("survey_ids", "survey_id"),
        ("kinds", "kind"),
        ("segments", "segment"),
        ("touchpoints", "touchpoint"),
    ):
        allowed = filters.get(key)
        if allowed and (facets.get(facet) is None or str(facets[facet]) not in allowed):
            return False
    low, high = filters.get("score_min"), filters.get("score_max")
    if low is not None or high is not None:
        score = facets.get("score")
        if not isinstance(score, int):
            return False
        if (low is not None and score < low) or (high is not None and score > high):
            return False
    return True
