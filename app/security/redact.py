"""Secrets and link tokens never reach logs or error bodies.

Link pages carry their token in the path (`/s/<token>`), API keys travel in headers and
public answers carry tokens in their bodies. Code logs paths and exception texts in
places; rather than trust every call site, one filter on the log handlers masks anything
shaped like a key, a bearer credential or a link token, and error bodies name paths
through `safe_path`."""

import logging
import re

MASK = "[redacted]"

_RULES = (
    # API keys of every kind: sk_, rk_, pk_, ik_ and 20+ url-safe characters.
    (re.compile(r"\b(?:sk|rk|pk|ik)_[A-Za-z0-9_-]{20,}"), MASK),
    # Credentials after an auth scheme.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    # Link tokens in link-page paths.
    (re.compile(r"(/[su]/)[A-Za-z0-9_-]{16,}"), r"\1" + MASK),
    # Tokens in (JSON or form) bodies quoted in exception texts.
    (re.compile(r"(?i)(\btoken[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9_-]{16,}"), r"\1" + MASK),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def safe_path(path: str | None) -> str | None:
    return redact(path) if path else path


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_log_filter() -> None:
    """Add the filter to the root logger's handlers (where every Sentio line ends up)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
