"""Pure ASGI rate limiting in front of the routes (no per-request task, no session).

- `/v1/public/…` and the link pages (paths under `PUBLIC_PREFIXES`): per client address,
  which is what slows down token guessing.
- the rest of `/v1/…`: per API key (a hash of the bearer secret, so no lookup is needed
  to count), or per client address for calls without a key. Answers `401` to a key are
  also counted per client address (policy `auth`, the public limit): an address that
  sprays made-up keys, each with a fresh budget of its own, is stopped there. That bucket
  holds failed authentications only: once it is spent, a request whose key fails answers
  `429` instead of `401`, while a valid key from the same address (a colleague behind the
  same NAT) is limited by its own budget alone.
- health probes, metrics and documentation: not limited.
"""

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import TooManyRequests
from app.problems import problem_response
from app.ratelimit.limiter import Decision, Limiter
from app.ratelimit.policy import Policy, address_bucket

PUBLIC_PREFIXES = ("/v1/public/", "/v1/browser/", "/s/", "/u/", "/dashboard/sign-in")
"""Paths anyone may call: the public endpoints, the hosted link pages and the dashboard's
sign-in form (whose failed sign-ins also fill the failed-authentication bucket)."""


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return address_bucket(client[0] if client else None)


def classify(scope: Scope, api: Policy, public: Policy) -> tuple[Policy, str] | None:
    path: str = scope["path"]
    address = client_address(scope)
    if path.startswith(PUBLIC_PREFIXES):
        return public, "addr:" + address
    if not path.startswith("/v1/"):
        return None
    secret = _bearer(scope)
    if secret:
        digest = hashlib.sha256(b"sentio-ratelimit:" + secret).hexdigest()[:32]
        return api, "key:" + digest
    return api, "addr:" + address


def _bearer(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, secret = value.partition(b" ")
            if scheme.lower() == b"bearer" and secret.strip():
                return secret.strip()
    return None


def failures_policy(public: Policy) -> Policy:
    """Failed authentications per client address: the public limit, in a bucket of its own."""
    return Policy("auth", public.limit, public.window)


class RateLimit:
    def __init__(self, app: ASGIApp, limiter: Limiter, api: Policy, public: Policy) -> None:
        self.app = app
        self.limiter = limiter
        self.api = api
        self.public = public
        self.failures = failures_policy(public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = (
            classify(scope, self.api, self.public)
            if scope["type"] == "http" and scope["method"] != "OPTIONS"
            else None
        )
        if found is None:
            await self.app(scope, receive, send)
            return
        keyed = found[1].startswith("key:")
        address = "addr:" + client_address(scope)
        decision = await self.limiter.hit(*found)
        if not decision.allowed:
            await _refuse(decision, scope, receive, send)
            return
        replaced = False

        async def send_with_headers(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the body of a 401 that went out as a 429
            if message["type"] == "http.response.start":
                if keyed and message["status"] == 401:
                    failed = await self.limiter.hit(self.failures, address)
                    if not failed.allowed:
                        # Only a key that failed is refused: the check costs the key's
                        # lookup, which a valid key from this address must still get.
                        replaced = True
                        await _refuse(failed, scope, receive, send)
                        return
                message["headers"] = [*message.get("headers", []), *decision.headers()]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(decision: Decision, scope: Scope, receive: Receive, send: Send) -> None:
    unit = "minute" if decision.policy.window == 60 else f"{decision.policy.window} seconds"
    what = (
        "failed authentications from this address" if decision.policy.name == "auth" else "requests"
    )
    error = TooManyRequests(
        f"More than {decision.policy.limit} {what} per {unit}; "
        f"retry in {decision.reset_in} seconds.",
        headers={"Retry-After": str(decision.reset_in)},
    )
    response = problem_response(error)  # no `instance`: link paths hold tokens
    response.raw_headers.extend(decision.headers())
    await response(scope, receive, send)
