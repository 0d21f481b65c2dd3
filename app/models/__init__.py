"""All ORM models, imported together so Alembic and cross-domain queries see one schema."""

from app.models.api_key import ApiKey
from app.models.base import Base
from app.models.dashboard import DashboardSession
from app.models.idempotency import IdempotencyCustomer, IdempotencyRecord
from app.models.invitation import Invitation, InvitationOpen, Unsubscribe
from app.models.outcome import JourneyStage, Outcome
from app.models.project import DEFAULT_PROJECT_ID, Project
from app.models.ratelimit import RateLimitCounter
from app.models.response import Response
from app.models.rollup import ScoreRollup
from app.models.survey import Survey
from app.models.theme import ResponseTheme, Theme
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "DEFAULT_PROJECT_ID",
    "ApiKey",
    "Base",
    "DashboardSession",
    "IdempotencyCustomer",
    "IdempotencyRecord",
    "Invitation",
    "InvitationOpen",
    "JourneyStage",
    "Outcome",
    "Project",
    "RateLimitCounter",
    "Response",
    "ResponseTheme",
    "ScoreRollup",
    "Survey",
    "Theme",
    "Unsubscribe",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
