"""The security middleware stack, outermost first: trusted proxies (client address and
scheme), security headers, CORS for publishable keys, then rate limits (so 429s carry the
headers too)."""

from fastapi import FastAPI

from app.config import Settings
from app.ratelimit.limiter import Limiter
from app.ratelimit.middleware import RateLimit, failures_policy
from app.ratelimit.policy import Policy
from app.ratelimit.stores import DatabaseStore, RedisStore, Store
from app.security.cors import BrowserCORS
from app.security.headers import SecurityHeaders
from app.security.proxies import TrustedProxies
from app.security.redact import install_log_filter


def install(app: FastAPI, settings: Settings) -> None:
    """Call after every other middleware is added: Starlette runs the last added first."""
    if settings.rate_limit_backend != "off":
        store: Store = (
            RedisStore(settings.redis_url)
            if settings.rate_limit_backend == "redis"
            else DatabaseStore()
        )
        limiter = Limiter(store)
        public = Policy.parse("public", settings.rate_limit_public)
        app.state.rate_limiter = limiter
        # Sign-in forms count their failures in the middleware's own bucket.
        app.state.failed_auth_policy = failures_policy(public)
        app.add_middleware(
            RateLimit,
            limiter=limiter,
            api=Policy.parse("api", settings.rate_limit_api),
            public=public,
        )
    app.add_middleware(BrowserCORS)
    app.add_middleware(SecurityHeaders, hsts_max_age=settings.hsts_max_age_seconds)
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxies)
    install_log_filter()
