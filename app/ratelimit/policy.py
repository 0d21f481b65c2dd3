"""Rate-limit policies: `N/second|minute|hour|day` per key or per client address."""

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window: int  # seconds

    @classmethod
    def parse(cls, name: str, rate: str) -> "Policy":
        match = _RATE.match(rate)
        if not match or int(match.group(1)) < 1:
            raise ValueError(f"rate limit {rate!r}: expected N/second|minute|hour|day, N ≥ 1")
        return cls(name, int(match.group(1)), _SECONDS[match.group(2)])

    @property
    def header(self) -> str:
        """`RateLimit-Policy` (IETF draft-ietf-httpapi-ratelimit-headers)."""
        return f'"{self.name}";q={self.limit};w={self.window}'


@lru_cache(maxsize=4096)  # parsed on every request; few clients make most of them
def address_bucket(host: str | None) -> str:
    """The identity of a client address: one IPv4 address, or the /64 an IPv6 host owns
    (a single IPv6 host can use every address of its /64)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
