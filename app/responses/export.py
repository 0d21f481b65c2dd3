"""Responses as CSV for BI tools and spreadsheets (`responses:read`, so a read-only BI key
can export). Text cells are neutralised against formula injection (`app.csvutil`);
numbers stay numbers. Large exports continue with the `Sentio-Next-Cursor` header, which
is the same cursor `GET /v1/responses` takes."""

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response as HttpResponse

from app.auth.dependencies import SessionDep, require
from app.auth.service import Principal
from app.csvutil import number_cell, text_cell, write_rows
from app.responses import service
from app.responses.repository import ResponseFilter
from app.responses.schemas import ResponseOut
from app.timeparams import parse_time

router = APIRouter(tags=["responses"])

COLUMNS = [
    "id",
    "survey_id",
    "submitted_at",
    "updated_at",
    "score",
    "comment",
    "customer_id",
    "segment",
    "touchpoint",
    "channel",
    "locale",
    "attributes",
]
PAGE = 1000


def _row(r: ResponseOut) -> list[str]:
    attributes = json.dumps(r.attributes, ensure_ascii=False) if r.attributes else None
    return [
        str(r.id),
        str(r.survey_id),
        r.submitted_at.isoformat(),
        r.updated_at.isoformat(),
        number_cell(r.score),
        text_cell(r.comment),
        text_cell(r.customer_id),
        text_cell(r.segment),
        text_cell(r.touchpoint),
        text_cell(r.channel),
        text_cell(r.locale),
        text_cell(attributes),
    ]


@router.get(
    "/v1/exports/responses",
    operation_id="exportResponses",
    response_class=HttpResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_responses(
    session: SessionDep,
    caller: Annotated[Principal, Depends(require("responses:read"))],
    survey_id: Annotated[list[uuid.UUID] | None, Query()] = None,
    from_: Annotated[
        str | None, Query(alias="from", description="Submitted at or after (ISO 8601).")
    ] = None,
    to: Annotated[str | None, Query(description="Submitted before (ISO 8601).")] = None,
    updated_since: Annotated[str | None, Query(description="Changed at or after.")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
):
    """Answers of the key's project as CSV, oldest change first, at most `limit` rows."""
    filters = ResponseFilter(
        survey_ids=survey_id,
        submitted_from=parse_time(from_, "from"),
        submitted_to=parse_time(to, "to"),
        updated_since=parse_time(updated_since, "updated_since"),
    )
    rows: list[list[str]] = []
    has_more = True
    while has_more and len(rows) < limit:
        page = await service.list_page(
            session, caller.project_id, filters, cursor=cursor, limit=min(PAGE, limit - len(rows))
        )
        rows.extend(_row(r) for r in page.data)
        cursor, has_more = page.next_cursor, page.has_more
    headers = {"Content-Disposition": 'attachment; filename="responses.csv"'}
    if has_more and cursor:
        headers["Sentio-Next-Cursor"] = cursor
    return HttpResponse(
        write_rows(COLUMNS, rows), media_type="text/csv; charset=utf-8", headers=headers
    )
