"""What a project shows respondents on its link pages: a display name, a logo and an accent
colour, so that a survey page is recognisably the company's own and not a look-alike.

The logo is loaded by the respondent's browser, so its address is held to rules that keep
the pages' Content-Security-Policy meaningful: `https` only, on a host name (no address,
port or credentials), and on the project's own domain — the host of its declared `website`
or a subdomain of it. The pages then allow images from that one origin and nothing else.
The accent colour is `#rrggbb` only; the pages pick black or white text on it, whichever
reads better (WCAG contrast)."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DARK_TEXT = "#111111"
LIGHT_TEXT = "#ffffff"


def https_host(url: str) -> str:
    """The host of an acceptable https URL (lower case); ValueError says what is wrong."""
    if any(c.isspace() or ord(c) < 0x20 for c in url) or any(c in url for c in "\"'<>\\`"):
        raise ValueError("must be a plain URL (no spaces, quotes or angle brackets)")
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError("must start with https://")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not hold a user name or password")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None:
        raise ValueError("must not name a port")
    host = (parts.hostname or "").lower()
    if not HOST.fullmatch(host):
        raise ValueError("must name a host such as www.example.com (not an IP address)")
    return host


def on_domain(logo_host: str, website_host: str) -> bool:
    return logo_host == website_host or logo_host.endswith("." + website_host)


@dataclass(frozen=True)
class Branding:
    """A project's branding as the pages use it; None fields are simply not shown."""

    display_name: str | None = None
    logo_url: str | None = None
    accent_color: str | None = None

    @property
    def logo_origin(self) -> str | None:
        return f"https://{https_host(self.logo_url)}" if self.logo_url else None

    @property
    def accent_text(self) -> str:
        """Black or white, whichever contrasts more with the accent colour."""
        if not self.accent_color:
            return LIGHT_TEXT
        accent = luminance(self.accent_color)
        dark, light = luminance(DARK_TEXT), luminance(LIGHT_TEXT)
        return DARK_TEXT if contrast(accent, dark) >= contrast(light, accent) else LIGHT_TEXT


def luminance(color: str) -> float:
    """WCAG 2 relative luminance of #rrggbb."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(lighter: float, darker: float) -> float:
    high, low = max(lighter, darker), min(lighter, darker)
    return (high + 0.05) / (low + 0.05)
