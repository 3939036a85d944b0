"""Log hygiene: URLs logged by httpx lose their userinfo and query values before any handler sees them.

httpx logs every request at INFO (``HTTP Request: POST https://host/path?query "HTTP/1.1 200 OK"``).
A webhook receiver token or a signed URL often travels in the query or the userinfo, so a filter on
the ``httpx`` and ``httpcore`` loggers masks them. Logger-level filters run before every handler,
pytest's caplog and a user's own handlers included.
"""
from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["MASK", "RedactURLFilter", "install_log_redaction", "redact_url"]

MASK = "***"
_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s?#]*@)?(?P<rest>[^\s\"'<>]*)")
_QUERY_VALUE = re.compile(r"(?P<key>[?&][^=&#\s]*)=(?P<value>[^&#\s]*)")
_LOGGERS = ("httpx", "httpcore")


def redact_url(text: str) -> str:
    """Mask the userinfo and every query value of each URL in `text`; paths and keys stay readable.

    >>> redact_url("POST https://user:pw@hooks.example/in?token=abc&x=1")
    'POST https://***@hooks.example/in?token=***&x=***'
    """

    def one(match: re.Match[str]) -> str:
        userinfo = f"{MASK}@" if match.group("userinfo") else ""
        rest = _QUERY_VALUE.sub(lambda q: f"{q.group('key')}={MASK}", match.group("rest"))
        return f"{match.group('scheme')}{userinfo}{rest}"

    return _URL.sub(one, text)


def _redact_arg(value: Any) -> Any:
    if isinstance(value, (str, bytes)) or type(value).__name__ == "URL":
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        redacted = redact_url(text)
        return redacted if redacted != text else value
    return value


class RedactURLFilter(logging.Filter):
    """Rewrites a record's message and arguments so URLs carry no credentials or query values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_url(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_arg(arg) for key, arg in record.args.items()}
        return True


_FILTER = RedactURLFilter()


def install_log_redaction() -> None:
    """Attach the filter to httpx's loggers once (idempotent; called when the HTTP modules load)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
