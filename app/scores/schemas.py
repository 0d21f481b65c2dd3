import uuid
from datetime import date

from pydantic import BaseModel, Field


class Interval95(BaseModel):
    low: float
    high: float


class Change(BaseModel):
    delta: float = Field(description="This bucket's score minus the previous bucket's.")
    z: float | None
    p: float | None = Field(description="Two-sided p-value.")
    significant: bool = Field(description="p < 0.05")


class ScoreRow(BaseModel):
    group: dict[str, str | None] = Field(
        description="The value of each `group_by` dimension (survey as `survey`)."
    )
    bucket: date | None = Field(
        None, description="Local start date of the time bucket (only with an interval)."
    )
    n: int
    distribution: dict[str, int] = Field(description="Count of every scale value, zeros included.")
    low_sample: bool = Field(description="n is below min_n.")
    # NPS
    nps: float | None = None
    nps_ci95: Interval95 | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    # CSAT
    csat: float | None = Field(None, description="Percent of satisfied (top-box) answers.")
    csat_ci95: Interval95 | None = None
    satisfied: int | None = None
    mean: float | None = None
    mean_ci95: Interval95 | None = None
    # CES
    ces: float | None = Field(None, description="Mean effort score.")
    ces_ci95: Interval95 | None = None
    easy: int | None = None
    easy_pct: float | None = None
    easy_ci95: Interval95 | None = None
    change: Change | None = Field(
        None, description="Change from the previous bucket of the same group (with an interval)."
    )


class ScoreReport(BaseModel):
    kind: str
    scale_min: int
    scale_max: int
    survey_ids: list[uuid.UUID]
    group_by: list[str]
    interval: str
    tz: str
    min_n: int
    rows: list[ScoreRow]


KIND_FIELDS = {
    "nps": ["nps", "nps_ci95", "promoters", "passives", "detractors"],
    "csat": ["csat", "csat_ci95", "satisfied", "mean", "mean_ci95"],
    "ces": ["ces", "ces_ci95", "easy", "easy_pct", "easy_ci95"],
}
