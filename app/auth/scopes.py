"""Scopes an API key can carry, and the kinds of key. `admin` grants every scope of its
project; `X:write` grants `X:read`."""

SCOPES = (
    "admin",
    "surveys:write",
    "surveys:read",
    "responses:write",
    "responses:read",
    "scores:read",
    "invitations:write",
    "invitations:read",
    "webhooks:write",
    "webhooks:read",
    "outcomes:write",
    "outcomes:read",
    # Customer reports: churn, drivers, the journey and each customer's own timeline.
    "customers:read",
    "themes:write",
    "themes:read",
)

READ_SCOPES = tuple(scope for scope in SCOPES if scope.endswith(":read"))

INSTANCE = "instance"
"""Not a scope a key is given: the rule of routes that only instance keys may call."""

PUBLIC_SUBMIT = "public:submit"
"""Not a scope a key is given: the rule of routes that publishable keys call."""

DASHBOARD_SESSION = "dashboard:session"
"""Not a scope a key is given: the rule of dashboard pages, opened by the session cookie of
a sign-in made with a key that may read scores and responses (never by an API key)."""

SECRET, READ, PUBLISHABLE, INSTANCE_KIND = "secret", "read", "publishable", "instance"
KINDS = (SECRET, READ, PUBLISHABLE, INSTANCE_KIND)
KEY_PREFIXES = {SECRET: "sk_", READ: "rk_", PUBLISHABLE: "pk_", INSTANCE_KIND: "ik_"}
DEFAULT_SCOPES = {
    SECRET: (),
    READ: ("scores:read", "responses:read", "outcomes:read", "customers:read", "themes:read"),
    PUBLISHABLE: (),
}


def grants(held: list[str] | tuple[str, ...], needed: str) -> bool:
    if needed in (INSTANCE, PUBLIC_SUBMIT):
        return False  # decided by the kind of key, never by scopes
    if "admin" in held or needed in held:
        return True
    resource, _, action = needed.partition(":")
    return action == "read" and f"{resource}:write" in held
