import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Discriminator, Tag, TypeAdapter, ValidationError
from starlette.responses import Response as HttpResponse

from app.auth.dependencies import ReadSessionDep, SessionDep, require
from app.auth.service import Principal
from app.errors import BadRequest
from app.idempotency.dependencies import Idempotent
from app.outcomes import service
from app.outcomes.repository import OutcomeFilter
from app.outcomes.schemas import (
    OutcomeBatch,
    OutcomeBatchOut,
    OutcomeCreate,
    OutcomeOut,
    OutcomePage,
    OutcomeType,
)
from app.timeparams import parse_time
from app.validation import CustomerId, Limit

router = APIRouter(tags=["outcomes"])

Reader = Annotated[Principal, Depends(require("outcomes:read"))]
Writer = Annotated[Principal, Depends(require("outcomes:write"))]


def _form(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "outcomes" in value else "one"


_BODY = TypeAdapter(
    Annotated[
        Annotated[OutcomeCreate, Tag("one")] | Annotated[OutcomeBatch, Tag("batch")],
        Discriminator(_form),
    ]
)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with its `$defs` references written out, for the route's OpenAPI entry."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            return _inline(defs[ref.rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


_SCHEMA = _BODY.json_schema()
BODY_SCHEMA = {
    "oneOf": _inline(_SCHEMA["oneOf"], _SCHEMA.get("$defs", {})),
    "description": 'One outcome, or `{"outcomes": [...]}` with up to 1,000 of them.',
}


async def outcome_body(request: Request) -> OutcomeCreate | OutcomeBatch:
    """One outcome or a batch, told apart by an `outcomes` member. Validated here rather
    than by FastAPI so that the errors point into the body as sent (`#/outcomes/3/value`),
    not into a union's branches."""
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest(
            "The request body is not valid JSON.", slug="malformed-json", title="Malformed JSON"
        ) from None
    try:
        return _BODY.validate_python(data)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"][1:])} for e in error.errors()]
        ) from None


@router.post(
    "/v1/outcomes",
    status_code=201,
    response_model=OutcomeOut | OutcomeBatchOut,
    operation_id="createOutcomes",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BODY_SCHEMA}},
        }
    },
)
async def create_outcomes(
    session: SessionDep,
    caller: Writer,
    idem: Idempotent,
    body: Annotated[OutcomeCreate | OutcomeBatch, Depends(outcome_body)],
):
    """Record what happened to customers. A single outcome answers with it; a batch
    (`{"outcomes": [...]}`) with `{"data": [...]}`, all stored or, on any error, none (each
    error names its item)."""

    async def create():
        stored = await service.create(session, caller.project_id, body)
        if isinstance(body, OutcomeBatch):
            return OutcomeBatchOut.model_validate({"data": stored})
        return OutcomeOut.model_validate(stored[0])

    return await idem.run(str(caller.key_id), create)


@router.get("/v1/outcomes", response_model=OutcomePage, operation_id="listOutcomes")
async def list_outcomes(
    session: ReadSessionDep,
    caller: Reader,
    customer_id: CustomerId | None = None,
    type: Annotated[list[OutcomeType] | None, Query()] = None,
    from_: Annotated[
        str | None, Query(alias="from", description="Occurred at or after (ISO 8601).")
    ] = None,
    to: Annotated[str | None, Query(description="Occurred before (ISO 8601).")] = None,
    cursor: str | None = None,
    limit: Limit = 100,
):
    filters = OutcomeFilter(
        customer_id=customer_id,
        types=type,
        occurred_from=parse_time(from_, "from"),
        occurred_to=parse_time(to, "to"),
    )
    return await service.list_page(session, caller.project_id, filters, cursor=cursor, limit=limit)


@router.delete("/v1/outcomes/{outcome_id}", status_code=204, operation_id="deleteOutcome")
async def delete_outcome(outcome_id: uuid.UUID, session: SessionDep, caller: Writer):
    await service.delete(session, caller.project_id, outcome_id)
    return HttpResponse(status_code=204)
