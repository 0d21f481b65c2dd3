"""The `sentio` command: serve, migrate, dispatch, create-api-key, openapi."""

import argparse
import asyncio
import signal
import sys
import uuid

from app.auth.scopes import SCOPES
from app.config import Settings


async def _migrate() -> None:
    from app.db import dispose_engine, get_engine
    from app.migrate import upgrade

    try:
        await upgrade(get_engine())
    finally:
        await dispose_engine()


async def _has_keys() -> bool:
    from app.auth.service import has_any_key
    from app.db import dispose_engine, sessionmaker

    try:
        async with sessionmaker()() as session:
            return await has_any_key(session)
    finally:
        await dispose_engine()


async def _create_key(
    scopes: list[str], name: str | None, kind: str, project_id: uuid.UUID | None
) -> tuple[str, str, list[str]]:
    from app.auth.service import create_key
    from app.db import dispose_engine, sessionmaker
    from app.models import DEFAULT_PROJECT_ID
    from app.projects import service as projects

    try:
        async with sessionmaker()() as session, session.begin():
            if project_id is not None:
                await projects.get(session, project_id)  # NotFound for an unknown project
            key, secret = await create_key(
                session, scopes, name=name, kind=kind, project_id=project_id or DEFAULT_PROJECT_ID
            )
            return str(key.id), secret, key.scopes or [kind]
    finally:
        await dispose_engine()


def cmd_migrate(_args: argparse.Namespace) -> int:
    asyncio.run(_migrate())
    print("Database migrated to the latest schema.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings

    asyncio.run(_migrate())
    if not asyncio.run(_has_keys()):
        print(
            "No API keys exist yet. Create the first admin key in another terminal with:\n"
            "    sentio create-api-key --scope admin\n",
            file=sys.stderr,
        )
    settings = get_settings()
    _log_and_metrics_setup(settings, args.workers)
    # Uvicorn drains in-flight requests on SIGTERM, then re-raises the signal: exiting with
    # status 0 then tells supervisors that the shutdown was the clean one they asked for.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        proxy_headers=False,  # forwarding headers: SENTIO_TRUSTED_PROXIES (app.security)
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        http="app.serving:TimedHttpProtocol",  # header and body read timeouts
        log_config=None,  # Sentio's own log format (SENTIO_LOG_FORMAT)
        access_log=False,  # Sentio logs each request itself, without raw paths
    )
    return 0


def _log_and_metrics_setup(settings: Settings, workers: int) -> None:
    import os
    import tempfile

    from app.observability import logs

    logs.configure(settings.log_level, settings.log_format)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers write their metrics to files here so that /metrics adds them all up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sentio-metrics-")


async def _dispatch(once: bool) -> int:
    from app.db import dispose_engine
    from app.webhooks.dispatcher import Dispatcher

    dispatcher = Dispatcher()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    sent = 0
    try:
        if once:
            while batch := await dispatcher.run_once():
                sent += batch
        else:
            await dispatcher.run_forever(stop)
    finally:
        await dispatcher.aclose()
        await dispose_engine()
    return sent


def cmd_dispatch(args: argparse.Namespace) -> int:
    from app.config import get_settings
    from app.observability import logs

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    asyncio.run(_migrate())
    sent = asyncio.run(_dispatch(args.once))
    if args.once:
        print(f"Attempted {sent} webhook deliveries.")
    return 0


def cmd_create_api_key(args: argparse.Namespace) -> int:
    from app.errors import ProblemError

    asyncio.run(_migrate())
    try:
        if args.instance_admin == bool(args.scope):
            raise SystemExit("error: give --scope (repeatable) or --instance-admin, not both")
        if args.instance_admin and args.project:
            raise SystemExit("error: instance admin keys belong to no project; leave out --project")
        kind = "instance" if args.instance_admin else "secret"
        key_id, secret, scopes = asyncio.run(
            _create_key(args.scope or [], args.name, kind, args.project)
        )
    except ProblemError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 2
    where = f" in project {args.project}" if args.project else ""
    print(f"Created API key {key_id}{where} with scopes: {', '.join(scopes)}")
    print("Store the secret now; it is shown only once:")
    print(secret)
    return 0


def cmd_openapi(_args: argparse.Namespace) -> int:
    from app.main import create_app
    from app.openapi import render

    sys.stdout.write(render(create_app()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentio", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(func=cmd_migrate)

    dispatch = sub.add_parser(
        "dispatch", help="send webhook deliveries (servers also do this in every worker)"
    )
    dispatch.add_argument(
        "--once", action="store_true", help="send what is due now, then exit (for cron)"
    )
    dispatch.set_defaults(func=cmd_dispatch)

    openapi = sub.add_parser("openapi", help="print the OpenAPI document (YAML)")
    openapi.set_defaults(func=cmd_openapi)

    create = sub.add_parser("create-api-key", help="create an API key and print its secret")
    create.add_argument("--scope", action="append", choices=SCOPES, help="repeat for more scopes")
    create.add_argument(
        "--instance-admin",
        action="store_true",
        help="a key that creates and lists projects and manages keys of every project",
    )
    create.add_argument("--name", help="a note to recognise the key by")
    create.add_argument(
        "--project",
        type=uuid.UUID,
        metavar="PROJECT_ID",
        help="the project the key belongs to (default: the default project)",
    )
    create.set_defaults(func=cmd_create_api_key)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
