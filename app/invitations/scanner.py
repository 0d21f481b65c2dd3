"""Telling a person from a mail security scanner. The rules, and why, are in the README
("Scanner-safe recording"); every threshold lives here."""

import re
from datetime import datetime, timedelta
from functools import lru_cache

from app.models import InvitationOpen

BURST_WINDOW = timedelta(seconds=10)
"""Opens of one invitation with different scores this close together are a scanner's."""

MIN_VISIBLE = timedelta(seconds=2)
"""A page's own automatic submit counts only once its open is at least this old. The page
waits 3 seconds of visibility; the server checks too, so a scanner that fast-forwards the
page's timers still records nothing."""

MAX_OPENS = 100
"""Opens kept per invitation; past this the page offers only the explicit submit button."""

AUTOMATED_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|scan|preview|headless|phantom|safelinks|proofpoint|mimecast"
    r"|barracuda|symantec|forcepoint|curl/|wget/|python|httpx|go-http-client|java/|okhttp"
    r"|libwww|node-fetch|axios|slurp|googleimageproxy|ggpht",
    re.IGNORECASE,
)


@lru_cache(maxsize=1024)  # browsers send a few distinct strings; the search is not cheap
def is_automated(user_agent: str | None) -> bool:
    """No User-Agent, or one that names a bot, scanner, headless browser or HTTP library."""
    return not user_agent or bool(AUTOMATED_AGENT.search(user_agent))


def in_burst(this: InvitationOpen, opens: list[InvitationOpen]) -> bool:
    """Whether another score link of the same invitation was opened within the burst window
    (before or after) of this one. Opens of the plain survey link carry no score."""
    if this.score is None:
        return False
    return any(
        other.id != this.id
        and other.score is not None
        and other.score != this.score
        and abs(other.opened_at - this.opened_at) <= BURST_WINDOW
        for other in opens
    )


def auto_submit_refusal(
    this: InvitationOpen | None,
    opens: list[InvitationOpen],
    *,
    user_agent: str | None,
    trigger: str,
    now: datetime,
) -> str | None:
    """Why a page's automatic submit must not count, or None when it counts."""
    if is_automated(user_agent):
        return "automated-client"
    if this is None:
        return "unknown-open"
    if in_burst(this, opens):
        return "scanner-burst"
    if trigger != "interaction" and now - this.opened_at < MIN_VISIBLE:
        return "too-early"
    return None
