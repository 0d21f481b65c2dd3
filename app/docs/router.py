"""The interactive API reference at /docs, served entirely by Sentio.

Swagger UI's script and stylesheet come from the installed `fastapi-offline` package, and
the page starts it with a script file of its own, so /docs works without internet access
and under the same strict Content-Security-Policy as every other page (no inline script,
nothing from another origin)."""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from app.auth.dependencies import public

HERE = Path(__file__).resolve().parent / "static"
SWAGGER_UI = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": SWAGGER_UI / "swagger-ui-bundle.js",
    "swagger-ui.css": SWAGGER_UI / "swagger-ui.css",
    "swagger-init.js": HERE / "swagger-init.js",
}
# The package's files change only when it is upgraded, which restarts the server.
CACHE = {"Cache-Control": "public, max-age=3600"}

router = APIRouter(
    include_in_schema=False, dependencies=[public("interactive API docs, hold no data")]
)


@router.get("/docs")
async def docs_page() -> Response:
    return FileResponse(HERE / "docs.html", media_type="text/html; charset=utf-8")


def _asset_route(path: Path):
    async def asset() -> Response:
        return FileResponse(path, headers=CACHE)

    return asset


# One route per file (no path parameter): nothing else of the package or of this folder
# can be asked for.
for _name, _path in ASSETS.items():
    router.add_api_route(f"/docs/assets/{_name}", _asset_route(_path), methods=["GET"])

PATHS = ("/docs", *(f"/docs/assets/{name}" for name in ASSETS))
"""Every path of the API reference: public, hold no data, not rate-limited (as /healthz)."""
