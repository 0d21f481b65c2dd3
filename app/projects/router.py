"""Projects (instance admin keys) and API keys (a project's admin key, or an instance admin
for any project)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response as HttpResponse

from app.apidoc.declare import problems
from app.auth.dependencies import SessionDep, require
from app.auth.scopes import INSTANCE
from app.auth.service import Principal
from app.idempotency.dependencies import Idempotent
from app.projects import service
from app.projects.schemas import (
    KeyCreate,
    KeyCreated,
    KeyList,
    ProjectBranding,
    ProjectCreate,
    ProjectList,
    ProjectOut,
)

router = APIRouter(tags=["projects and keys"])

InstanceAdmin = Annotated[Principal, Depends(require(INSTANCE))]
ProjectAdmin = Annotated[Principal, Depends(require("admin"))]


@router.post(
    "/v1/projects", status_code=201, response_model=ProjectOut, operation_id="createProject"
)
async def create_project(
    body: ProjectCreate, session: SessionDep, caller: InstanceAdmin, idem: Idempotent
):
    return await idem.run(str(caller.key_id), lambda: service.create(session, body))


@router.get("/v1/projects", response_model=ProjectList, operation_id="listProjects")
async def list_projects(session: SessionDep, _caller: InstanceAdmin):
    return ProjectList(data=await service.list_all(session))


@router.get("/v1/projects/{project_id}", response_model=ProjectOut, operation_id="getProject")
async def get_project(project_id: uuid.UUID, session: SessionDep, _caller: InstanceAdmin):
    return await service.get(session, project_id)


@router.get("/v1/project", response_model=ProjectOut, operation_id="getCurrentProject")
async def get_current_project(session: SessionDep, caller: ProjectAdmin):
    """The caller's own project, with what its link pages show respondents."""
    return await service.get(session, caller.project_id)


@router.patch("/v1/project", response_model=ProjectOut, operation_id="updateCurrentProject")
async def update_current_project(body: ProjectBranding, session: SessionDep, caller: ProjectAdmin):
    """Brand the project's link pages: display name, website, logo (on the website's
    domain) and accent colour. Fields left out stay; null removes one."""
    return await service.update_branding(session, caller.project_id, body)


@router.post(
    "/v1/projects/{project_id}/keys",
    status_code=201,
    response_model=KeyCreated,
    operation_id="createProjectKey",
)
async def create_project_key(
    project_id: uuid.UUID, body: KeyCreate, session: SessionDep, _caller: InstanceAdmin
):
    await service.get(session, project_id)
    return await service.create_key(session, project_id, body)


@router.get(
    "/v1/projects/{project_id}/keys", response_model=KeyList, operation_id="listProjectKeys"
)
async def list_project_keys(
    project_id: uuid.UUID,
    session: SessionDep,
    _caller: InstanceAdmin,
    include_revoked: bool = False,
):
    await service.get(session, project_id)
    items = await service.list_keys(
        session, project_id, include_revoked=include_revoked, instance=True
    )
    return KeyList(data=items)


AllowSelf = Annotated[
    bool,
    Query(
        description="Set to true to revoke the very key this request is made with; without "
        "it that answers 409 `own-key-revocation`, so a key cannot lock its caller out by "
        "mistake."
    ),
]


@router.delete(
    "/v1/projects/{project_id}/keys/{key_id}",
    status_code=204,
    operation_id="revokeProjectKey",
    responses=problems(service.OwnKeyRevocation),
)
async def revoke_project_key(
    project_id: uuid.UUID,
    key_id: uuid.UUID,
    session: SessionDep,
    caller: InstanceAdmin,
    allow_self: AllowSelf = False,
):
    await service.revoke_key(
        session, project_id, key_id, instance=True, caller=caller, allow_self=allow_self
    )
    return HttpResponse(status_code=204)


@router.post("/v1/keys", status_code=201, response_model=KeyCreated, operation_id="createKey")
async def create_key(body: KeyCreate, session: SessionDep, caller: ProjectAdmin):
    """Create a key in the caller's project. The secret is in this answer only."""
    return await service.create_key(session, caller.project_id, body)


@router.get("/v1/keys", response_model=KeyList, operation_id="listKeys")
async def list_keys(session: SessionDep, caller: ProjectAdmin, include_revoked: bool = False):
    """The project's keys: prefix, kind, scopes, times; never a secret."""
    items = await service.list_keys(
        session, caller.project_id, include_revoked=include_revoked, instance=False
    )
    return KeyList(data=items)


@router.delete(
    "/v1/keys/{key_id}",
    status_code=204,
    operation_id="revokeKey",
    responses=problems(service.OwnKeyRevocation),
)
async def revoke_key(
    key_id: uuid.UUID, session: SessionDep, caller: ProjectAdmin, allow_self: AllowSelf = False
):
    """Revoke a key of the caller's project; it stops working at once. The key making the
    request is revoked only with `allow_self=true`."""
    await service.revoke_key(
        session, caller.project_id, key_id, instance=False, caller=caller, allow_self=allow_self
    )
    return HttpResponse(status_code=204)
