from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from app.auth.dependencies import public
from app.health import service

router = APIRouter(tags=["health"], dependencies=[public("probes for orchestrators")])


@router.get("/healthz", operation_id="healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    detail: str = Field(description="Why, in words.")


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=Readiness,
    responses={
        503: {
            "model": Readiness,
            "description": "Database unreachable or migrations not at head.",
            "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
        }
    },
)
async def readyz() -> JSONResponse:
    """The database answers and its schema is at the latest migration."""
    ready, detail = await service.readiness()
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "detail": detail},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": "2"},
    )
