"""The insights dashboard: HTML pages at /dashboard, signed in with an API key exchanged for
a session cookie (see sessions.py). Pages are GET forms and links, usable without
JavaScript; the one script only fills in the browser's time zone."""

import uuid
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from app.auth.dependencies import ReadSessionDep, SessionDep, public
from app.auth.scopes import DASHBOARD_SESSION
from app.dashboard import journey, limits, service, sessions, views
from app.dashboard.i18n import LANG_COOKIE, LANGUAGES, Formatter, choose
from app.dashboard.schemas import View
from app.dashboard.sessions import COOKIE, PATH, SIGN_IN_COOKIE, Viewer
from app.dashboard.templating import HEADERS, page
from app.db import sessionmaker, utcnow
from app.errors import InvalidInput, NotFound, ProblemError
from app.scores import csv

router = APIRouter(include_in_schema=False)
assets = StaticFiles(directory=Path(__file__).resolve().parent / "static")

SIGN_IN = f"{PATH}/sign-in"
SIGN_IN_RULE = public("dashboard sign-in: anyone may try a key, failures are rate limited")


async def signed_in(request: Request) -> Viewer | None:
    """The viewer of the request's session cookie, or None (the page then redirects to the
    sign-in form). API keys play no part here. Checked on the primary database in a short
    transaction of its own, as API keys are: a revoked key ends its sessions at once, and
    the page's reads may then go to a replica."""
    async with sessionmaker()() as session, session.begin():
        return await sessions.current(session, request.cookies.get(COOKIE))


signed_in.required_scope = DASHBOARD_SESSION  # type: ignore[attr-defined]
Signed = Annotated[Viewer | None, Depends(signed_in)]


def formatter(request: Request) -> Formatter:
    return Formatter(
        choose(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"),
        )
    )


Lang = Annotated[Formatter, Depends(formatter)]


def _https(request: Request) -> bool:
    # The scheme after trusted-proxy handling (app/security/proxies.py).
    return request.url.scheme == "https"


def _remember_language(request: Request, response: Response, f: Formatter) -> Response:
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            f.lang,
            max_age=365 * 86400,
            path=PATH,
            httponly=True,
            samesite="strict",
            secure=_https(request),
        )
    return response


def _to_sign_in(request: Request) -> RedirectResponse:
    return RedirectResponse(SIGN_IN, status_code=303, headers={"Cache-Control": "no-store"})


def _common(request: Request, f: Formatter, viewer: Viewer | None) -> dict:
    here = dict(request.query_params)
    switch = {lang: "?" + urlencode({**here, "lang": lang}) for lang in LANGUAGES}
    return {"f": f, "viewer": viewer, "languages": switch, "path": request.url.path}


def _sign_in_page(
    request: Request, f: Formatter, *, error: str | None = None, status: int = 200, notice=None
) -> Response:
    token = request.cookies.get(SIGN_IN_COOKIE) or sessions.new_sign_in_token()
    response = page(
        "sign_in.html",
        status,
        **_common(request, f, None),
        title=f("sign_in_title"),
        csrf=token,
        error=error,
        notice=notice,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    return _remember_language(request, response, f)


@router.get(SIGN_IN, dependencies=[SIGN_IN_RULE])
async def sign_in_form(request: Request, f: Lang, session: SessionDep) -> Response:
    if await sessions.current(session, request.cookies.get(COOKIE)):
        return RedirectResponse(PATH, status_code=303)
    notice = f("signed_out") if request.query_params.get("signed_out") else None
    return _sign_in_page(request, f, notice=notice)


@router.post(SIGN_IN, dependencies=[SIGN_IN_RULE])
async def sign_in(
    request: Request,
    f: Lang,
    session: SessionDep,
    key: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    tz: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    if not sessions.same_token(request.cookies.get(SIGN_IN_COOKIE), csrf):
        return _sign_in_page(request, f, error=f("form_expired"), status=400)
    try:
        session_id, viewer = await sessions.sign_in(session, key)
    except sessions.SignInRefused as refused:
        await session.rollback()  # nothing to keep; and SQLite's write lock is released
        wait = await limits.failed_sign_in(request)
        if wait is not None:
            return _sign_in_page(request, f, error=f("too_many", seconds=wait), status=429)
        unknown = refused.reason == "unknown"
        message = f("unknown_key") if unknown else f("wrong_kind")
        # A form answer, not an API one: the form again, with what was wrong (422).
        return _sign_in_page(request, f, error=message, status=422)
    target = PATH + ("?" + urlencode({"tz": tz.strip()}) if tz.strip() else "")
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int((viewer.expires_at - utcnow()).total_seconds()),
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    response.delete_cookie(SIGN_IN_COOKIE, path=PATH, httponly=True, samesite="strict")
    return response


@router.post(f"{PATH}/sign-out")
async def sign_out(
    request: Request,
    viewer: Signed,
    session: SessionDep,
    f: Lang,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if viewer is None:
        return _to_sign_in(request)
    if not sessions.same_token(viewer.csrf, csrf):
        return _error(request, f, viewer, 403, f("form_expired"))
    await sessions.sign_out(session, request.cookies[COOKIE])
    response = RedirectResponse(f"{SIGN_IN}?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")
    return response


def _error(request: Request, f: Formatter, viewer: Viewer | None, status: int, message: str):  # type: ignore[no-untyped-def]
    title = f("not_found_title") if status == 404 else f("error_title")
    return page("message.html", status, **_common(request, f, viewer), title=title, message=message)


@router.get(PATH)
async def overview(request: Request, viewer: Signed, reads: ReadSessionDep, f: Lang) -> Response:
    if viewer is None:
        return _to_sign_in(request)
    tz = (request.query_params.get("tz") or "UTC").strip()[:64]
    try:
        data = await service.overview(reads, viewer.project_id, tz)
    except InvalidInput as error:
        tz = "UTC"
        data = await service.overview(reads, viewer.project_id, tz)
        problem: str | None = f("bad_input", detail=error.detail)
    else:
        problem = None
    response = page(
        "overview.html",
        **_common(request, f, viewer),
        title=f("surveys"),
        data=data,
        tz=tz,
        problem=problem,
        change_text=lambda change: views.change_text(f, change),
        metric=lambda kind: views.metric_name(f, kind),
    )
    return _remember_language(request, response, f)


@router.get(f"{PATH}/journey")
async def journey_page(
    request: Request, viewer: Signed, reads: ReadSessionDep, f: Lang
) -> Response:
    """Stages, touchpoint drivers and churn, from the customer reports' own functions."""
    if viewer is None:
        return _to_sign_in(request)
    try:
        view = View.parse({"range": "90", **request.query_params})
        data = await journey.journey_page(reads, viewer.project_id, view)
    except ProblemError as error:
        return _error(request, f, viewer, 422, f("bad_input", detail=error.detail))
    response = page(
        "journey.html",
        **_common(request, f, viewer),
        title=f("journey"),
        page=data,
        change_text=lambda change: views.change_text(f, change),
        metric=lambda kind: views.metric_name(f, kind),
    )
    return _remember_language(request, response, f)


def _survey_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("There is no such survey in this project.") from None


@router.get(f"{PATH}/surveys/{{survey_id}}")
async def survey_page(
    survey_id: str, request: Request, viewer: Signed, reads: ReadSessionDep, f: Lang
) -> Response:
    if viewer is None:
        return _to_sign_in(request)
    try:
        view = View.parse(dict(request.query_params))
        data = await service.survey_page(reads, viewer.project_id, _survey_id(survey_id), view)
    except NotFound:
        return _error(request, f, viewer, 404, f("not_found"))
    except ProblemError as error:
        return _error(request, f, viewer, 422, f("bad_input", detail=error.detail))
    response = page(
        "survey.html",
        **_common(request, f, viewer),
        title=data.survey.name,
        **views.context(data, f),
    )
    return _remember_language(request, response, f)


@router.get(f"{PATH}/surveys/{{survey_id}}/scores.csv")
async def survey_csv(
    survey_id: str, request: Request, viewer: Signed, reads: ReadSessionDep, f: Lang
) -> Response:
    """The view's trend as `GET /v1/scores?format=csv` returns it for the same parameters."""
    if viewer is None:
        return _to_sign_in(request)
    try:
        view = View.parse(dict(request.query_params))
        report = await service.scores_csv_report(
            reads, viewer.project_id, _survey_id(survey_id), view
        )
    except NotFound:
        return _error(request, f, viewer, 404, f("not_found"))
    except ProblemError as error:
        return _error(request, f, viewer, 422, f("bad_input", detail=error.detail))
    return Response(
        csv.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            **HEADERS,
            "Content-Disposition": f'attachment; filename="scores-{survey_id}.csv"',
        },
    )
