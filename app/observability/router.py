"""`GET /metrics` in the Prometheus text format (not part of the public API document)."""

from typing import Annotated

from fastapi import APIRouter, Header
from starlette.responses import Response

from app.auth.dependencies import public
from app.observability import metrics, service

router = APIRouter(dependencies=[public("scrapes; SENTIO_METRICS_TOKEN guards it when set")])


@router.get("/metrics", include_in_schema=False, operation_id="getMetrics")
async def get_metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
    service.check_token(authorization)
    return Response(await service.scrape(), media_type=metrics.CONTENT_TYPE)
