from fastapi import APIRouter
from starlette.responses import JSONResponse

from app.auth.dependencies import public
from app.health import service

router = APIRouter(tags=["health"], dependencies=[public("probes for orchestrators")])


@router.get("/healthz", operation_id="healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    responses={503: {"description": "Database unreachable or migrations not at head."}},
)
async def readyz() -> JSONResponse:
    """The database answers and its schema is at the latest migration."""
    ready, detail = await service.readiness()
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "detail": detail},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": "2"},
    )
