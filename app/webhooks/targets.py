"""Where webhooks may be sent: http(s) URLs only and, unless allowed, only to public
addresses. The host is resolved at send time and every address it resolves to is checked;
the request then goes to the checked address, so DNS cannot swap in another one."""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL is not one Sentio sends to; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def parse(url: str) -> Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("only http and https URLs are allowed")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("credentials in the URL are not allowed; authenticate by signature")
    if parts.fragment:
        raise TargetRefused("the URL must not have a #fragment")
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default)


# IPv6 ranges that carry an IPv4 address, and where it sits in them. A packet to one of
# them can end up at that IPv4 address (a NAT64 gateway, a 6to4 relay, a host that still
# routes IPv4-compatible addresses), so the IPv4 address must be public too.
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 "IPv4-translated"
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible (also :: and ::1)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use prefix
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated, still routed inside sites


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries (none for a plain IPv6 address)."""
    packed = address.packed
    if address in _MAPPED or address in _TRANSLATED or address in _COMPATIBLE:
        return [ipaddress.IPv4Address(packed[12:])]
    if address in _NAT64:
        return [ipaddress.IPv4Address(packed[12:])]
    if address in _NAT64_LOCAL:  # a /48 prefix: bits 64-71 are the reserved "u" octet
        return [ipaddress.IPv4Address(packed[6:8] + packed[9:11])]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:  # (server, client), the client already de-obfuscated
        return list(address.teredo)
    return []


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded:
            return all(is_public(v4) for v4 in embedded)
        return (
            address.is_global
            and not address.is_multicast
            and not address.is_reserved
            and address not in _SITE_LOCAL
        )
    return address.is_global and not address.is_multicast


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, *, allow_private: bool) -> Target:
    """The checks that need no DNS lookup, done when an endpoint is registered."""
    target = parse(url)
    address = literal_address(target.host)
    if address is not None and not allow_private and not is_public(address):
        raise TargetRefused(f"{address} is a private, loopback or reserved address")
    if not allow_private and target.host.rstrip(".").lower() in ("localhost",):
        raise TargetRefused("localhost is not allowed")
    return target


async def resolve(target: Target, *, allow_private: bool) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    address = literal_address(target.host)
    if address is not None:
        addresses = [address]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port, type=socket.SOCK_STREAM
            )
        except OSError as error:
            raise TargetRefused(f"cannot resolve {target.host}: {error}") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        if not addresses:
            raise TargetRefused(f"{target.host} resolves to no address")
    if not allow_private and not all(is_public(a) for a in addresses):
        # The addresses are not named: the error is shown to the tenant, and listing them
        # would map the internal network's DNS for whoever registers the URL.
        raise TargetRefused(
            f"{target.host} is not an allowed target: webhooks go only to addresses that "
            "are not private, loopback or reserved"
        )
    return str(addresses[0])
