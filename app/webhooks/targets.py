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


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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
    if not allow_private:
        refused = [str(a) for a in addresses if not is_public(a)]
        if refused:
            raise TargetRefused(
                f"{target.host} resolves to a private, loopback or reserved address "
                f"({', '.join(refused)})"
            )
    return str(addresses[0])
