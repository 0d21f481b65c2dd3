import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.scores.schemas import Change, Interval95, ScoreRow
from app.validation import STRICT, Label

Money = Annotated[str, Field(description='Exact decimal amount as a string, e.g. "1234.50".')]


class ChurnCells(BaseModel):
    customers: int = Field(description="Units: customers whose latest answer is in the range.")
    eligible: int = Field(description="Units whose answer time + horizon is at or before as_of.")
    pending: int = Field(description="Units whose horizon has not passed (not retained).")
    churned: int = Field(description="Eligible units with a churn within the horizon.")
    churn_rate: float | None = Field(description="100 * churned / eligible; null if none.")
    churn_rate_ci95: Interval95 | None = Field(description="Wilson 95% interval.")
    value_eligible: Money = Field(description="Purchases in the 365 days up to each answer.")
    value_churned: Money


class ChurnRow(ChurnCells):
    category: str = Field(description="promoter, passive, detractor; or good, not_good.")


class ChurnGroup(BaseModel):
    group: dict[str, str | None]
    relative_risk: float | None = Field(
        description="Churn rate of detractors (not good) over that of promoters (good)."
    )
    relative_risk_ci95: Interval95 | None
    rows: list[ChurnRow]


class RiskPair(BaseModel):
    exposed: str
    baseline: str


class ChurnReport(BaseModel):
    kind: str
    scale_min: int
    scale_max: int
    survey_ids: list[uuid.UUID]
    from_: str | None = Field(alias="from")
    to: str | None
    as_of: str
    horizon_days: int
    group_by: list[str]
    relative_risk_of: RiskPair
    groups: list[ChurnGroup]


class DriverRow(BaseModel):
    group: dict[str, str | None]
    touchpoint: str
    n_good: int
    n_bad: int
    nps_good: float | None
    nps_good_ci95: Interval95 | None
    nps_bad: float | None
    nps_bad_ci95: Interval95 | None
    gap: float | None = Field(description="nps_good - nps_bad.")
    z: float | None
    p: float | None
    significant: bool
    reach: float | None = Field(description="100 * n_bad / (n_good + n_bad).")
    impact: float | None = Field(description="gap * n_bad / (n_good + n_bad): NPS points lost.")


class DriverReport(BaseModel):
    relationship_survey_ids: list[uuid.UUID]
    transactional_survey_ids: list[uuid.UUID]
    from_: str | None = Field(alias="from")
    to: str | None
    window_days: int
    group_by: list[str]
    rows: list[DriverRow]


class StageScore(ScoreRow):
    group: dict[str, str | None] = Field(default_factory=dict, exclude=True)
    kind: str
    scale_min: int
    scale_max: int
    survey_ids: list[uuid.UUID]
    previous_n: int = Field(description="Answers at this stage in the previous period.")
    change: Change | None = Field(description="Against the previous period of the same length.")


class Stage(BaseModel):
    stage: str
    position: int
    scores: list[StageScore] = Field(description="One per kind and scale answered here.")
    churn: ChurnCells = Field(description="Customers whose latest answer was at this stage.")


class JourneyReport(BaseModel):
    from_: str = Field(alias="from")
    to: str
    previous_from: str
    as_of: str
    horizon_days: int
    stages: list[Stage]


class JourneyStages(BaseModel):
    model_config = STRICT

    stages: list[Label] = Field(
        max_length=50,
        description="Touchpoints, in the order customers meet them (each once).",
        json_schema_extra={"uniqueItems": True},
    )


class Relationship(BaseModel):
    survey_id: uuid.UUID
    score: int
    category: str
    answered_at: datetime


class CustomerOut(BaseModel):
    customer_id: str
    answers: int
    last_answered_at: datetime | None
    last_touchpoint: str | None
    last_touchpoint_at: datetime | None
    relationship: Relationship | None
    churned: bool = Field(description="Has a churned outcome.")
    churned_at: datetime | None = Field(description="The latest churn.")


class CustomerPage(BaseModel):
    data: list[CustomerOut]
    next_cursor: str | None
    has_more: bool


class CustomerJourney(BaseModel):
    customer_id: str
    events: list[dict[str, Any]] = Field(
        description="In time order. answer: response_id, survey_id, survey_name, kind, "
        "scale_min, scale_max, score, category, touchpoint, channel, segment, comment. "
        "invitation: invitation_id, survey_id, status, sent, touchpoint, channel, opened_at, "
        "opens, answered_at, response_id (never its links). outcome: outcome_id, outcome (its "
        "type), value, attributes. unsubscribe: source."
    )
