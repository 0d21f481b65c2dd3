import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from app.responses.schemas import Attributes
from app.validation import STRICT, CustomerId, Timestamp

OutcomeType = Literal["churned", "renewed", "purchase", "downgraded", "upgraded"]
OUTCOME_TYPES: tuple[str, ...] = OutcomeType.__args__  # type: ignore[attr-defined]
MAX_BATCH = 1000
CENT = Decimal("0.01")

_AMOUNT_TEXT = re.compile(r"^\d{1,13}(\.\d{1,2})?$")
_LARGEST_AMOUNT = Decimal(10) ** 13
"""Below ten trillion: a JSON number is read as a binary float, exact to 15 significant
digits (13 before the point, then the cents), and sums of cents stay far from 2^63."""


def _amount(value: Any) -> Decimal:
    """An amount of money, exactly: a JSON number or a decimal string, at most two decimal
    places, never negative. A float with fractions of cents is refused, not rounded."""
    if isinstance(value, bool):
        raise ValueError('must be a number or a decimal string such as "19.90"')
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("must be a finite amount")
        amount = Decimal(repr(value))  # the shortest text that reads back as this float
    elif isinstance(value, str):
        if not _AMOUNT_TEXT.match(value):
            raise ValueError(
                'must be a decimal string with at most two decimal places, such as "19.90"'
            )
        amount = Decimal(value)
    else:
        raise ValueError('must be a number or a decimal string such as "19.90"')
    if amount < 0:
        raise ValueError("must not be negative")
    if amount >= _LARGEST_AMOUNT:
        raise ValueError("must be below 10,000,000,000,000")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise ValueError("has fractions of a cent; send at most two decimal places")
    return cents


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    Field(
        strict=False,
        description='Exact decimal amount: a JSON number or a string ("1234.50"), at most '
        "two decimal places, never negative.",
        json_schema_extra={
            "anyOf": [
                {"type": "number", "minimum": 0, "exclusiveMaximum": 1e13, "multipleOf": 0.01},
                {"type": "string", "pattern": r"^[0-9]{1,13}(\.[0-9]{1,2})?$"},
            ]
        },
    ),
]
AmountOut = Annotated[
    Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")
]
"""Amounts leave as strings with two decimals ("1234.50"): a JSON number would be read back
as a binary float."""


class OutcomeCreate(BaseModel):
    model_config = ConfigDict(
        **STRICT,
        json_schema_extra={  # what the service checks: a purchase has its amount
            "if": {"properties": {"type": {"const": "purchase"}}, "required": ["type"]},
            "then": {"required": ["value"], "properties": {"value": {"not": {"type": "null"}}}},
        },
    )

    customer_id: CustomerId = Field(description="Your own id for the customer.")
    type: OutcomeType
    occurred_at: Timestamp = Field(
        description="When it happened: ISO 8601 with an offset; past times (history "
        "imports) are welcome, future ones refused."
    )
    value: Amount | None = Field(None, description="Required for `purchase`.")
    attributes: Attributes | None = None


class OutcomeBatch(BaseModel):
    model_config = STRICT

    outcomes: list[OutcomeCreate] = Field(
        min_length=1, max_length=MAX_BATCH, description="All stored, or none."
    )


class OutcomeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: str
    type: OutcomeType
    occurred_at: datetime
    value: AmountOut | None = Field(description='Exact decimal as a string, e.g. "1234.50".')
    attributes: dict[str, Any] | None
    created_at: datetime


class OutcomeBatchOut(BaseModel):
    data: list[OutcomeOut] = Field(description="The stored outcomes, in the order sent.")


class OutcomePage(BaseModel):
    data: list[OutcomeOut]
    next_cursor: str | None
    has_more: bool
