"""Scopes an API key can carry. `admin` grants everything; `X:write` grants `X:read`."""

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
)


def grants(held: list[str] | tuple[str, ...], needed: str) -> bool:
    if "admin" in held or needed in held:
        return True
    resource, _, action = needed.partition(":")
    return action == "read" and f"{resource}:write" in held
