"""`POST /s/{token}/presence` (a link page's automatic submit) on the fast path
(app/fastpath.py).

It answers a plain form post itself: a URL-encoded body in UTF-8 with each field at most
once and no query string. Anything else goes on to the FastAPI route. Both answer through
`record_presence`."""

import re
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import Scope

from app.fastpath import header
from app.pages.router import record_presence

ROUTE = "/s/{token}/presence"
PATH = re.compile(r"/s/([^/]+)/presence")
FIELDS = ("score", "open", "trigger")


async def handle(scope: Scope, match: re.Match[str], body: bytes) -> Response | None:
    content_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if scope["query_string"] or content_type != "application/x-www-form-urlencoded":
        return None
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        return None
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        return None  # a field sent twice: the route decides which counts
    fields = dict(pairs)
    form = {name: fields.get(name) for name in FIELDS}
    return await record_presence(match.group(1), **form, user_agent=header(scope, b"user-agent"))
