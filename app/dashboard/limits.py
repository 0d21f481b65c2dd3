"""Failed sign-ins count in the failed-authentication bucket of the rate limiter, the one
that 401s to API keys fill (app/ratelimit/middleware.py): per client address, at the
public limit. Once it is spent, a key that fails to sign in is answered 429 instead; a
valid key from the same address still signs in."""

from starlette.requests import Request

from app.ratelimit.middleware import client_address


async def failed_sign_in(request: Request) -> int | None:
    """Counts a failed sign-in; the seconds to wait when this address has failed too
    often, else None."""
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:  # SENTIO_RATE_LIMIT_BACKEND=off
        return None
    policy = request.app.state.failed_auth_policy
    decision = await limiter.hit(policy, "addr:" + client_address(request.scope))
    return None if decision.allowed else decision.reset_in
