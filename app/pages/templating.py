"""The Jinja2 environment of hosted pages and email blocks: autoescaped HTML, no surprises."""

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from app.pages.i18n import ui
from app.projects.branding import Branding

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    # The token is in the address: never send it to another site, never cache the page.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
}


@lru_cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def brand_style(brand: Branding) -> str | None:
    """The one inline style a branded page carries: its accent colour as CSS variables
    (validated #rrggbb), allowed by its hash in the page's CSP; no style attributes."""
    if not brand.accent_color:
        return None
    return f":root{{--accent:{brand.accent_color};--accent-text:{brand.accent_text}}}"


def page_csp(brand: Branding, style: str | None) -> str:
    """The page CSP, opened for exactly what this project's branding needs: images from
    its logo's origin, and its accent style by hash."""
    csp = CSP
    if brand.logo_origin:
        csp = csp.replace("img-src 'self'", f"img-src 'self' {brand.logo_origin}")
    if style:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        csp = csp.replace("style-src 'self'", f"style-src 'self' 'sha256-{digest}'")
    return csp


def page(
    template: str, status: int = 200, *, brand: Branding | None = None, **context: Any
) -> HTMLResponse:
    brand = brand or Branding()
    style = brand_style(brand)
    headers = {**PAGE_HEADERS, "Content-Security-Policy": page_csp(brand, style)}
    logo_alt = ui(context.get("lang"))["logo"]  # the logo's text when no name is shown
    html = render(template, brand=brand, brand_style=style, logo_alt=logo_alt, **context)
    return HTMLResponse(html, status_code=status, headers=headers)
