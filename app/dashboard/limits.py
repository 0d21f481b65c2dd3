"""Failed sign-ins count in the failed-authentication limit of the rate limiter (per
client address, as 401s to API keys do): an address that tries key after key is stopped
there, whether it tries them on the API or on the sign-in form."""

from starlette.requests import Request

from app.config import get_settings
from app.ratelimit.middleware import client_address
from app.ratelimit.policy import Policy


def _policy() -> Policy:
    public = Policy.parse("public", get_settings().rate_limit_public)
    return Policy("auth", public.limit, public.window)


def _who(request: Request) -> str:
    return "addr:" + client_address(request.scope)


def sign_ins_refused(request: Request) -> int | None:
    """Seconds to wait when this address has used up its failures, else None."""
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        return None
    refused = limiter.exhausted(_policy(), _who(request))
    return refused.reset_in if refused else None


async def count_failed_sign_in(request: Request) -> None:
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        await limiter.hit(_policy(), _who(request))
