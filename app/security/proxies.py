"""Client address and scheme behind reverse proxies, trusting forwarding headers only from
the proxies listed in `SENTIO_TRUSTED_PROXIES`.

Anyone can send `X-Forwarded-For`; believing it from anyone would let a client pick its
own address and walk around per-address rate limits. So the header is read only when the
connection comes from a trusted proxy, right to left, skipping trusted hops: the first
address that is not a trusted proxy is the client."""

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


class TrustedProxies:
    def __init__(self, app: ASGIApp, trusted: Iterable[str]) -> None:
        self.app = app
        self.trusted = parse_networks(trusted)

    def is_trusted(self, host: str | None) -> bool:
        if not host or not self.trusted:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            client = scope.get("client")
            if client and self.is_trusted(client[0]):
                scope = dict(scope)
                self._rewrite(scope)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope) -> None:
        forwarded_for: list[str] = []
        proto: str | None = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.extend(v.strip() for v in value.decode("latin-1").split(","))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
        for hop in reversed([h for h in forwarded_for if h]):
            if not self.is_trusted(hop):
                scope["client"] = (hop, 0)
                break
        if proto in ("http", "https"):
            scope["scheme"] = proto
